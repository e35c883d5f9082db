# The Logs pane's keys at 80x24, against a real PostgreSQL and kubesim:
# with no store open its keys say how to open one; with wrap on, pages and
# half pages move by screen rows, so no line is skipped (every line held,
# and a filtered view with separators); s offers an absolute path and says
# where it saved; the source list tells a restarted container's runs apart
# and shows each detail whole; and when the cluster does not answer, the
# summary says so in words that fit and the source list says why in full.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/ui/lib.sh"
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/sim.sh"
. "$top_srcdir/tests/lib/store.sh"

plan 50

ui_with_pg
sim_start "$UI_TMP" --speed 4 --seed 11 --log-rate 50 --log-keep 1000000 ||
	{ echo "Bail out! cannot start kubesim"; exit 1; }
printf 'operator: logs-tester\nprovision:\n  timeout: 120\n' >"$UI_CONFIG/config.yaml"
UI_ENV="PGHOST='$PGHOST' PGPORT=$PGPORT PGDATABASE=$PGDATABASE PGUSER=$PGUSER KUBECONFIG='$KUBECONFIG'"

od() { XDG_CONFIG_HOME="$UI_TMP/config" "$OPSDECK" "$@"; }

store_ui_ready keys
web=$(od logs "$id" --json --tail 1 | jq -r 'select(.container == "wordpress") | .pod')
like "$web" '^wordpress-' "its web pod is there"

# the console runs in a directory of its own: s saves there by default
mkdir -p "$UI_TMP/work"
console() {
	ui_start_cmd 80 24 "cd '$UI_TMP/work' && exec '$UI_BIN'"
	UI_PID=$(ui_child_pid)
	ui_wait '1 Catalog' 30
}

# lines: the rows of the view (after the title and the summary, before the
# message line), trailing blanks cut
lines() {
	ui_screen | awk 'found && NR < rows { sub(/ +$/, ""); if ($0 != "") print }
		/lines\/s/ { found = 1 }' \
		rows="$(ui_screen | wc -l)"
}
held() { ui_screen | sed -n 's/.* evicted, \([0-9]*\) held.*/\1/p'; }
msg() { ui_screen | tail -n 1; }

console
ui_keys 5
screen_has "with no store, the pane says how to open one" \
	"l on a store in the Stores pane, or :logs STORE, follows"
nostore="No store is open here: l on a store in the Stores pane, or :logs STORE"
for key in f / i s S H c; do
	ui_keys "$key"
	if ui_wait "$nostore" 10; then
		pass "with no store open, $key says how to open one"
	else
		fail "with no store open, $key says how to open one"
		diag "$(ui_screen)"
	fi
	ui_esc
	ui_wait_gone "$nostore" 10
done

# ---- wrap: pages and half pages move by screen rows ----
ui_keys : && ui_text "logs keys" && ui_keys Enter
screen_has ":logs opens the store" "^Logs for store shop/keys"
wait_for '[ "$(held)" -ge 400 ]' 60
ok "lines are held ($(held))" [ "$(held)" -ge 400 ]
# with timestamps, a line's first row tells it apart
ui_keys w t f Home
screen_has "wrapped, timestamps, paused" "\\[paused.*, wrap, timestamps\\]"
src_re="^(mysql-0/mysql|$web/wordpress) 20[0-9][0-9]-"
# starts [N]: the rows that begin a line (among the first N rows)
starts() { lines | head -n "${1:-999}" | grep -E "$src_re"; }
# order ROW: the number in the saved view of the line that ROW begins
order() { r="$1" awk 'index($0, ENVIRON["r"]) == 1 { print NR; exit }' "$UI_TMP/view.log"; }
rows=0
save_view() {
	ui_keys s C-u
	ui_text "$UI_TMP/view.log" && ui_keys Enter
	ui_wait "Saved [0-9]+ lines" 10
	ui_esc
	ui_wait_gone "Saved [0-9]+ lines" 10
	rows=$(lines | wc -l)
}
# moved KEY: presses KEY; true once the view changed
moved() {
	before=$(lines)
	ui_keys "$1"
	wait_for '[ "$(lines)" != "$before" ]' 10
}
# between LO N HI: LO <= N <= HI
between() { [ -n "$2" ] && [ "$1" -le "$2" ] && [ "$2" -le "$3" ]; }
# up_ok: the view moved up ($top0 to $top1), and the line at the top before
# ($top0) is on the rows looked at ($last their last line's, or the one
# before)
up_ok() { between 0 "$top1" "$((top0 - 1))" && between "$((top0 - 1))" "$last" "$top0"; }
# check_moves WHAT: from the oldest line, PgDn, PgUp, C-d and C-u each move
# the view and skip no line: down, the new top is the line at the bottom
# (or the one after it); up, the old top shows on the new page
check_moves() {
	wrapped=$(lines | grep -cvE "$src_re|^--$")
	ok "$1: long lines take more than a row ($wrapped rows go on a line)" [ "$wrapped" -gt 0 ]
	for key in PgDn PgDn PgDn PgUp C-d C-d C-u; do
		top0=$(order "$(starts | head -n 1)")
		case $key in
		PgDn) bottom=$(order "$(starts | tail -n 1)") ;;
		C-d) bottom=$(order "$(starts $((rows / 2 + 1)) | tail -n 1)") ;;
		esac
		moved "$key"
		top1=$(order "$(starts | head -n 1)")
		case $key in
		PgDn | C-d)
			ok "$1: $key moves down, no line skipped (top $top0 -> $top1, bottom row's line $bottom)" \
				between "$((top0 + 1))" "$top1" "$((bottom + 1))" || diag "$(lines)"
			;;
		PgUp)
			last=$(order "$(starts | tail -n 1)")
			ok "$1: PgUp moves up, no line skipped (top $top0 -> $top1, bottom $last)" \
				up_ok || diag "$(lines)"
			;;
		C-u)
			last=$(order "$(starts $((rows / 2 + 1)) | tail -n 1)")
			ok "$1: C-u moves up half a screen (top $top0 -> $top1, mid row's line $last)" \
				up_ok || diag "$(lines)"
			;;
		esac
	done
}
save_view
check_moves "wrapped"

# a filtered view: context brings separators, a row each
ui_keys End i
ui_text 'seq=[0-9]*[05]$' && ui_keys Enter
ui_keys C && ui_text 1 && ui_keys Enter
screen_has "a filter with context" "include /seq=.*context 1"
ui_keys f Home
screen_has "paused at the oldest line" "\\[paused"
save_view
ok "the filtered view has separators" [ "$(lines | grep -c '^--$')" -gt 0 ]
check_moves "filtered, wrapped"
ui_keys i Enter C Enter w End
ui_wait_gone "include "

# ---- save: the path offered and said is absolute ----
ui_keys s
screen_has "s offers the file in the console's directory, by its absolute path" \
	"^save to file: $UI_TMP/work/opsdeck-logs-$id\\.log *$"
ui_keys Enter
screen_has "saved there, the message says where" "Saved [0-9]+ lines to $UI_TMP/work/opsdeck-logs-$id\\.log"
ok "... the file is there" test -s "$UI_TMP/work/opsdeck-logs-$id.log"
ui_keys s C-u
ui_text "rel.log" && ui_keys Enter
screen_has "a relative name is said with its directory" "Saved [0-9]+ lines to $UI_TMP/work/rel\\.log"
ok "... and written there" test -s "$UI_TMP/work/rel.log"
ui_keys s C-u
ui_text "rel.log" && ui_keys Enter
screen_has "replacing it asks, naming the whole path" "Replace the file $UI_TMP/work/rel\\.log"
ui_keys n
ui_wait_gone "Replace the file" 10

# ---- the source list: a restarted container's runs, details whole ----
ns=$(psql -X -At -c "SELECT namespace FROM opsdeck.stores WHERE id = '$id'")
sim_post /sim/restart "{\"namespace\": \"$ns\", \"pod\": \"mysql-0\", \"container\": \"mysql\"}"
ui_keys S
screen_has "after a restart, the source list tells the runs apart" \
	"^mysql-0/mysql \\(run 2\\) +streaming" 30
like "$(ui_screen | tr -s ' \n' '  ')" "mysql-0/mysql \\(run 1\\) ended [0-9]+ restarted \\(exit code" \
	"the earlier run ended, said so"
ui_esc
# a detail too long for its column goes on, whole
sim_post /sim/faults "{\"dropAfterLines\": 3, \"errorRate\": 1, \"errorCode\": 503, \"pathPrefix\": \"/api/v1/namespaces/$ns/pods/$web/log\"}"
ui_keys S
screen_has "a source that reconnects" "$web/wordpress +reconnecting" 30
# detail: the source's rows, joined
detail() {
	ui_screen | awk -v w="$web/wordpress" 'index($0, w) == 1 { on = 1; print; next }
		on && /^(mysql-0|SOURCE)/ { exit } on { print }' | tr -s ' \n' '  '
}
want="reconnecting [0-9]+ attempt [0-9]+: the server is currently unable to handle the request \\(injected fault\\); [0-9]+ reconnects"
wait_for '[ -n "$(detail | grep -E "$want")" ]' 30
like "$(detail)" "$want" "its detail is there whole, on the rows it takes" || diag "$(ui_screen)"
ui_esc
sim_delete /sim/faults

# ---- the cluster does not answer ----
ui_stop
sim_post /sim/faults '{"outageSeconds": 45}'
console
ui_keys : && ui_text "logs keys" && ui_keys Enter
screen_has "the header says the cluster does not answer" "cluster local: unreachable" 30
screen_has "... the Logs pane's summary too, in words, first" \
	"^cluster unreachable, retrying \\(S: why\\) \\| 0 lines/s" 10
unlike "$(ui_screen | grep 'lines/s')" "GET /|SSL|https?:" "... without the error's text"
ui_keys S
screen_has "the source list says why, in full" "^Cluster local does not answer; the pane keeps trying" 10
shown=$(ui_screen)
unlike "$shown" "No container has a log yet" "... not that the containers are quiet"
like "$(echo "$shown" | tr -d '\n')" "https://127\\.0\\.0\\.1" "... with the error it met"
ui_esc
screen_has "once it answers, the lines come" "^mysql-0/mysql 20[0-9-]+T" 90
ui_wait_gone "cluster unreachable" 30
ok "... and the summary no longer says it" [ "$(ui_screen | grep -c 'cluster unreachable')" -eq 0 ]
ui_stop
