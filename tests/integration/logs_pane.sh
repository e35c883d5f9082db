# The Logs pane against a real PostgreSQL and kubesim: l on a store in the
# Stores pane follows its logs, every container of it, each line after its
# source; a search highlights what it finds and n/N move between matches;
# scrolling up pauses (the lines shown stay while lines come) and f or End
# follows again; an include filter with context shows grep -C's groups; s
# saves the lines shown to a file, which holds exactly the lines on
# screen; the source list shows each stream's state; :logs names a store
# (an unknown one is an error in words); what the containers wrote before
# the pane opened shows in one time order. At 120x40, then at 80x24.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/ui/lib.sh"
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/sim.sh"
. "$top_srcdir/tests/lib/store.sh"

plan 101

ui_with_pg
sim_start "$UI_TMP" --speed 4 --seed 7 --log-rate 50 --log-keep 1000000 ||
	{ echo "Bail out! cannot start kubesim"; exit 1; }
printf 'operator: logs-tester\nprovision:\n  timeout: 120\n' >"$UI_CONFIG/config.yaml"
UI_ENV="PGHOST='$PGHOST' PGPORT=$PGPORT PGDATABASE=$PGDATABASE PGUSER=$PGUSER KUBECONFIG='$KUBECONFIG'"

od() { XDG_CONFIG_HOME="$UI_TMP/config" "$OPSDECK" "$@"; }
q() { psql -X -At -v ON_ERROR_STOP=1 "$@"; }

store_ui_ready logs
web=$(od logs "$id" --json --tail 1 | jq -r 'select(.container == "wordpress") | .pod')
like "$web" '^wordpress-' "its web pod is there"

# lines: the log lines on screen (after the title and the summary, before
# the message line), trailing blanks cut
lines() {
	ui_screen | awk 'found && NR < rows { sub(/ +$/, ""); if ($0 != "") print }
		/lines\/s/ { found = 1 }' \
		rows="$(ui_screen | wc -l)"
}
# held: the lines the pane holds, from its summary
held() { ui_screen | sed -n 's/.* evicted, \([0-9]*\) held.*/\1/p'; }
# same_as_file WIDTH FILE: the lines on screen are a run of FILE's lines, each
# cut to WIDTH columns
same_as_file() {
	lines >"$UI_TMP/shown"
	cut -c "1-$1" "$2" | sed 's/ *$//' >"$UI_TMP/cut"
	# found by its first log line (a separator is on many lines)
	k=$(grep -nvFx -m1 -- "--" "$UI_TMP/shown" | cut -d: -f1)
	first=$(grep -nFx -m1 -- "$(sed -n "${k}p" "$UI_TMP/shown")" "$UI_TMP/cut" | cut -d: -f1)
	[ -n "$first" ] && first=$((first - k + 1))
	[ -n "$first" ] && sed -n "$first,$((first + $(wc -l <"$UI_TMP/shown") - 1))p" "$UI_TMP/cut" |
		cmp -s - "$UI_TMP/shown"
}

ui_start 120 40
ui_keys 3
screen_has "the Stores pane lists the store" "$id +logs " 30
ui_keys l
screen_has "l opens the Logs pane on the store" "Logs for store shop/logs \\($id\\)"
screen_has "lines of the database container, after their source" "^mysql-0/mysql [0-9TZ:.-]+ " 30
screen_has "lines of the web container, after their source" "^$web/wordpress [0-9.]+ - - " 30
screen_has "the summary counts the streams" \
	"2 streaming, 0 idle, 0 reconnecting, 0 waiting for a slot, 0 ended"
like "$(ui_screen)" "[0-9]+ lines/s, 0 evicted, [0-9]+ held" \
	"with the rate, the evicted lines and the lines held"
like "$(ui_screen)" "\\[follow\\]" "following"
like "$(ui_screen_attrs)" "38;5;(81|150|215|176|117|222)mmysql-0/mysql" \
	"a source's name in a colour of the theme's palette"
before=$(lines | tail -n 1)
wait_for '[ "$(lines | tail -n 1)" != "$before" ]' 20
ok "the newest lines come on screen as they are written" [ "$(lines | tail -n 1)" != "$before" ]

# ---- follow and pause ----
ui_keys PgUp
screen_has "PgUp stops following" "\\[paused"
shown=$(lines) n=$(held)
wait_for '[ "$(held)" -gt "$((n + 20))" ]' 20
ok "lines still come while paused" [ "$(held)" -gt "$((n + 20))" ]
is "$(lines)" "$shown" "and the lines shown stay where they are"
screen_has "the title says how many newer lines wait below" "\\[paused, [0-9]+ newer\\]"
ui_keys End
screen_has "End follows again" "\\[follow\\]"
ui_keys f
screen_has "f stops following" "\\[paused"
ui_keys f
screen_has "f follows again" "\\[follow\\]"

# ---- search ----
ui_keys /
ui_text "connection [0-9]*[0-4] " && ui_keys Enter
screen_has "/ searches: the title says what" "search /connection \\[0-9\\]\\*\\[0-4\\] /"
like "$(ui_screen)" "\\[paused" "a match found stops following, so it stays in view"
like "$(ui_screen_attrs)" "48;5;220mconnection [0-9]*[0-4] " "the matches are highlighted" ||
	diag "$(ui_screen_attrs | grep -m3 'connection [0-9]*[0-4] ' | cat -v)"
# current: the line of the match the search is on (the selection's colours)
current() { ui_screen_attrs | grep -m1 '48;5;74mconnection [0-9]*[0-4] '; }
c1=$(current)
ok "the match the search is on stands out" [ -n "$c1" ]
ui_keys N
wait_for '[ -n "$(current)" ] && [ "$(current)" != "$c1" ]' 10
ok "N goes to an older match" [ -n "$(current)" ] && [ "$(current)" != "$c1" ]
c2=$(current)
ui_keys n
wait_for '[ "$(current)" = "$c1" ]' 10
is "$(current)" "$c1" "n comes back to the newer one"
ui_keys Escape
ui_wait_gone "search /" 10
ok "Esc ends the search" [ "$(ui_screen | grep -c 'search /')" -eq 0 ]
ui_keys End

# ---- a filter with context, and save ----
ui_keys i
ui_text "GET /health " && ui_keys Enter
screen_has "i adds an include filter, shown in the title" "include /GET /health /"
ui_keys C C-u
ui_text 1 && ui_keys Enter
screen_has "C gives it context" "include /GET /health /  context 1"
screen_has "groups of lines are separated as grep -C does" "^--$"
ui_keys f
screen_has "paused to save" "\\[paused"
# newer lines wait below a full screen: none comes on it
screen_has "the title counts the lines that come below" "\\[paused, [0-9]+ newer\\]" 60
ui_keys s C-u
ui_text "$UI_TMP/saved.log" && ui_keys Enter
screen_has "s saves the filtered view to a file" \
	"Saved [0-9]+ lines \\(the filtered view\\) to $UI_TMP/saved.log"
ok "the file holds the lines shown on screen" same_as_file 120 "$UI_TMP/saved.log" ||
	diag "$(diff "$UI_TMP/shown" "$UI_TMP/cut" | head -20; ui_screen | cat -A | tail -4)"
bad=$(awk '
	function end_group() {
		if (n && !hit) print "a group without a match at " NR
		if (hit && run > 1) print "more than one line of context after a match at " NR
		n = 0; hit = 0; run = 0
	}
	$0 == "--" { end_group(); next }
	/GET \/health / { n++; hit = 1; run = 0; next }
	{ n++; run++ }
	!hit && run > 1 { print "more than one line of context before a match at " NR }
	hit && run > 2 { print "lines between matches that are not their context at " NR }
	END { end_group() }' "$UI_TMP/saved.log")
is "$bad" "" "each group of the file has a match with at most one line of context around"
like "$(grep -c -v 'GET /health ' "$UI_TMP/saved.log")" "^[1-9]" "context lines are there too"
ui_keys s C-u
ui_text "/nonexistent/dir/x.log" && ui_keys Enter
screen_has "a file that cannot be written is an error in words" \
	"cannot write /nonexistent/dir/x.log: No such file or directory"
# an existing file is replaced only when the operator says so
echo keep >"$UI_TMP/old.log"
ui_keys s C-u
ui_text "$UI_TMP/old.log" && ui_keys Enter
screen_has "saving over an existing file asks first" "Replace the file "
ui_keys n
ui_wait_gone "Replace the file " 10
is "$(cat "$UI_TMP/old.log")" "keep" "... and n leaves it as it was"
ui_keys s C-u
ui_text "$UI_TMP/old.log" && ui_keys Enter
screen_has "... asked again" "Replace the file "
ui_keys y
screen_has "y replaces it" "Saved [0-9]+ lines \\(the filtered view\\) to $UI_TMP/old.log"
ok "... with the lines shown" [ "$(grep -c 'GET /health ' "$UI_TMP/old.log")" -gt 0 ]
# a FIFO (no reader: an open for writing would wait for one) and a
# directory are refused in words, at once
mkfifo "$UI_TMP/fifo"
ui_keys s C-u
ui_text "$UI_TMP/fifo" && ui_keys Enter
screen_has "a FIFO is refused in words, the console not held by it" \
	"fifo is not a regular file: the lines are saved to regular files only"
ui_keys s C-u
ui_text "$UI_TMP" && ui_keys Enter
screen_has "so is a directory" "is not a regular file: the lines are saved to regular files only"

# ---- the source list ----
ui_keys S
screen_has "S lists the sources with their state" "^mysql-0/mysql +streaming +[0-9]+"
like "$(ui_screen)" "$web/wordpress +streaming" "every source"
ui_esc

# ---- :logs ----
ui_keys : && ui_text "logs nosuch" && ui_keys Enter
screen_has ":logs with an unknown store is an error in words" 'no store "nosuch"'

# ---- 80x24 ----
ui_resize 80 24
ui_keys i Enter x C-u Enter End
screen_has "at 80x24, the title fits, the view's state with it" "Logs for store shop/logs .*\\[follow\\]"
screen_has "the summary is shorter" "[0-9]+ stream [0-9]+ idle [0-9]+ reconn [0-9]+ wait [0-9]+ end"
screen_has "and lines of each container show" "^mysql-0/mysql "
screen_has "of the web container too" "^wordpress-"
ui_keys w
screen_has "w wraps long lines: their end shows" "seq=[0-9]+$"
n=$(held)
ui_keys c
wait_for '[ "$(held)" -lt "$n" ]' 10
ok "c clears the lines held (held $n, then $(held))" [ "$(held)" -lt "$n" ]

# ---- the store's own history: H shows it among the lines, at its times ----
ui_keys C C-u
ui_text 0 && ui_keys Enter
ui_keys i
ui_text 'store\.order|step apply' && ui_keys Enter
ui_keys H
screen_has "H shows the store's history: its order event" \
	"^opsdeck/events store\\.order by logs-tester: ordered store $id"
screen_has "... and its provision job's steps" "^opsdeck/jobs job [0-9]+ provision: step apply started"
screen_has "the title says the history is shown" "history\\]"
ui_keys t
screen_has "each line at its own time" "^opsdeck/events 20[0-9-]+T[0-9:.]+Z store\\.order"
ui_keys H
screen_has "H again hides it" "No line passes the filters yet"
ui_keys t i Enter

# ---- a read of the history that comes after newer lines goes among them by
# time, and a paused view keeps its top line ----
ui_keys H t
ui_wait "timestamps, history\\]"
ui_screen | grep -q ', wrap, timestamps' && ui_keys w
screen_has "the history shown with its times, a row a line" "\\[follow, timestamps, history\\]"
# the ring was cleared: a page and more of pods' lines after the history's
wait_for '[ "$(held)" -ge 300 ]' 30
ui_keys PgUp
screen_has "paused again" "\\[paused"
shown=$(lines)
top=$(echo "$shown" | head -n 1) mid=$(echo "$shown" | sed -n 5p)
like "$top | $mid" "^($web/wordpress|mysql-0/mysql) 20[0-9TZ:.-]+ .* \\| ($web/wordpress|mysql-0/mysql) 20[0-9TZ:.-]+ " \
	"the view's lines are the pods'"
# Two events: one stamped before every line in view, one just after the
# fifth. The pods' streams may hand their lines over a little out of time
# order, so where the second goes is worked out from the lines in view: after
# the last of them not newer than it (timestamps are fixed width: they sort
# as text).
oldest=$(echo "$shown" | awk '{ print $2 }' | sort | head -n 1)
q -q -c "INSERT INTO opsdeck.events (at, actor, action, object, project, message)
	SELECT v.at, 'test', 'store.note', 'store/$id', s.project, v.msg FROM opsdeck.stores s,
	(VALUES (timestamptz '$oldest' - interval '1 microsecond', 'merged above'),
		(timestamptz '$(echo "$mid" | cut -d' ' -f2)' + interval '1 microsecond', 'merged below'))
	AS v (at, msg) WHERE s.id = '$id'"
screen_has "an event read after newer lines shows among them, at its time" \
	"^opsdeck/events 20[0-9TZ:.-]+ store\\.note by test: merged below"
is "$(lines | head -n 1)" "$top" "... the paused view's top line stays at its top"
at=$(lines | awk '/store\.note by test: merged below$/ { print $2 }')
before=$(echo "$shown" | awk -v at="$at" '$2 <= at { l = $0 } END { print l }')
like "$(lines | grep -A1 -xF -- "$before" | sed -n 2p)" "^opsdeck/events .* merged below\$" \
	"... the event right after the last line in view not newer than it" || diag "$(lines)"
unlike "$(lines)" "merged above" "... and the one older than every line in view is out of sight"

# ---- a filtered view: an event merged among its lines goes where its
# time puts it, the lines around it stay ----
ui_keys End i
ui_text 'seq=[0-9]*0$|filtered in' && ui_keys Enter
screen_has "an include filter on the history and the pods' lines" "include "
# logs: the log lines on screen, without separators
logs() { lines | grep -vxF -- "--"; }
wait_for '[ "$(logs | wc -l)" -ge 10 ]' 60
ui_keys PgUp
screen_has "paused on the filtered view" "\\[paused"
# the event goes after the last line held not newer than it: a line shown
# followed by a newer one has it right after (a line the filter hides
# between them is not shown, whichever side of the event it goes)
shown=$(lines)
mid=$(lines | awk 'NR > 1 && prev != "--" && $0 != "--" && $2 > pts { print prev; exit }
	{ prev = $0; pts = $2 }')
like "$mid" "^($web/wordpress|mysql-0/mysql) 20[0-9TZ:.-]+ " "the view's lines are the pods'"
q -q -c "INSERT INTO opsdeck.events (at, actor, action, object, project, message)
	SELECT timestamptz '$(echo "$mid" | cut -d' ' -f2)' + interval '1 microsecond', 'test',
	'store.note', 'store/$id', s.project, 'filtered in' FROM opsdeck.stores s WHERE s.id = '$id'"
screen_has "an event read after newer lines shows in the filtered view" \
	"^opsdeck/events 20[0-9TZ:.-]+ store\\.note by test: filtered in"
like "$(lines | grep -A1 -xF -- "$mid" | sed -n 2p)" "^opsdeck/events .* filtered in\$" \
	"... right after the line before it in time" || diag "$(lines)"
# upto: the lines on stdin up to mid
upto() { m="$mid" awk '{ print } $0 == ENVIRON["m"] { exit }'; }
is "$(lines | upto)" "$(echo "$shown" | upto)" "... the lines before it where they were"
is "$(logs | sort | uniq -d)" "" "... each line once"
ui_keys End H t

# ---- keys that come faster than the frames each scroll ----
ui_resize 120 40
ui_keys i Enter x Enter C Enter
ui_wait_gone "include "
ok "an empty include prompt clears the filters" [ "$(ui_screen | grep -c '^Logs.*include')" -eq 0 ]
# one row a line, each line told apart by its time
title_line() { ui_screen | grep -m1 '^Logs'; }
title_line | grep -q ', wrap' && ui_keys w
title_line | grep -q 'timestamps' || ui_keys t
screen_has "timestamps on, lines not wrapped" "\\[follow, timestamps\\]"
wait_for '[ "$(held)" -ge 600 ]' 30
ui_keys Home
screen_has "Home goes to the oldest line held, paused" "\\[paused"
shown=$(lines)
rows=$(echo "$shown" | wc -l)
ui_keys Down Down Down Down Down Down Down Down Down Down
want=$(echo "$shown" | sed -n '11,$p')
wait_for '[ "$(lines | head -n $((rows - 10)))" = "$want" ]' 10
is "$(lines | head -n $((rows - 10)))" "$want" "ten Downs sent at once move the view ten lines"
ui_keys Home
wait_for '[ "$(lines)" = "$shown" ]' 10
for i in 1 2 3; do
	last=$(lines | tail -n 1)
	ui_keys PgDn
	wait_for '[ "$(lines | head -n 1)" = "$last" ]' 10
done
is "$(lines | head -n 1)" "$last" "PgDn moves a page: the last line shown comes to the top"
third=$(lines)
ui_keys Home
wait_for '[ "$(lines)" = "$shown" ]' 10
ui_keys PgDn PgDn PgDn
wait_for '[ "$(lines)" = "$third" ]' 10
is "$(lines)" "$third" "three PgDns sent at once move three pages"
# far more PgDns than pages: the view stops at a full last page, the line
# at its bottom one that was held when the keys came
h0=$(held)
ui_keys $(yes PgDn | head -n $((h0 / (rows - 1) + 5)) | tr '\n' ' ')
at_end() {
	scr=$(ui_screen)
	x=$(echo "$scr" | sed -n 's/.*\[paused, \([0-9]*\) newer.*/\1/p')
	h1=$(echo "$scr" | sed -n 's/.* evicted, \([0-9]*\) held.*/\1/p')
	[ "$(lines | wc -l)" -eq "$rows" ] && [ "${x:-0}" -le "$((h1 - h0))" ]
}
wait_for at_end 10
ok "PgDns past the end stop at the last page, paused" at_end ||
	diag "held $h0, then: $(ui_screen)"
like "$(ui_screen)" "0 evicted" "(no line went from the buffer meanwhile)"

# ---- the title keeps the filters and the search as the screen narrows ----
id2=$(od store create shop woocommerce small other |
	sed -n 's/^ordered store \([0-9a-f]*\) .*/\1/p')
ui_keys i && ui_text GET && ui_keys Enter
ui_keys x && ui_text health && ui_keys Enter
ui_keys C && ui_text 1 && ui_keys Enter
ui_keys / && ui_text seq && ui_keys Enter w PgUp
query="include /GET/  exclude /health/  context 1  search /seq/"
screen_has "at 120x40 the title says the filters and the search" \
	"^Logs for .*  $query +\\[paused.*, wrap, timestamps\\]"
ui_resize 80 24
screen_has "at 80x24 too, by their keys, the view's state beside them" \
	"^Logs  i/GET/  x/health/  C1  /seq/ +\\[paused.*, wrap, timestamps\\]"

# ---- prompts start empty: what is typed is the value ----
ui_keys /
screen_has "/ opens the search prompt empty" "^search / *$"
ui_text GET && ui_keys Enter
screen_has "what is typed is the search (smart case), not added to the old one" "  /GET/ +\\["
unlike "$(title_line)" "seqGET" "(the old search is not kept in front)"
ui_keys C
screen_has "C opens its prompt empty, saying the context it replaces" \
	"^context lines \\(now 1, empty: 0\\): *$"
ui_text 2 && ui_keys Enter
screen_has "what is typed is the context: 2, not 12" "  C2  /GET/"
ui_keys i
screen_has "the include prompt opens empty" "^include regex: *$"
ui_esc
ui_wait_gone "^include regex:"
like "$(title_line)" "i/GET/  x/health/  C2" "Esc at a prompt changes nothing"

# ---- the footer and help say what / does here ----
screen_has "the footer in the Logs pane says / searches" "/ search  Tab next pane"
ui_keys '?'
screen_has "help opened in the Logs pane says so" "Help: key map default, in the Logs pane"
ui_keys / && ui_text 'smart case' && ui_keys Enter
screen_has "help says / searches here" "filter \\(/\\): Search the lines \\(a regex; smart case"
ui_esc
ui_wait_gone "Help: key map"
ui_keys 3
screen_has "the Stores pane's footer says / filters" "/ filter  Tab next pane"
ui_keys 5
screen_has "back in the Logs pane" "/ search  Tab next pane"

# ---- the search and filters go with the store they were set on ----
ui_keys : && ui_text "logs logs" && ui_keys Enter w
ui_wait_gone ", wrap"
like "$(title_line)" "i/GET/  x/health/  C2  /GET/" \
	":logs on the same store keeps its filters and search"
ui_keys : && ui_text "logs other" && ui_keys Enter
screen_has ":logs on another store follows it" "^Logs for store shop/other \\($id2\\)"
unlike "$(title_line)" "include|exclude|context|search|/GET/|i/|C2" \
	"... without the other store's filters, context and search"
like "$(title_line)" "timestamps\\]" "... the display's toggles kept"
# ordered moments ago: its namespace may not be there yet; the pane waits
# for it and its pods
screen_has "... and its lines come as the store is made" "^mysql-0/mysql [0-9TZ:.-]+ " 90

# ---- what the containers wrote before the pane opened shows in one time
# order, each container's lines among the other's ----
opened=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)
ui_keys : && ui_text "logs logs" && ui_keys Enter
screen_has "back on the first store" "^Logs for store shop/logs \\($id\\)"
# saved_in_order: saves the lines held to a new file; true once lines both
# containers wrote before the pane opened and after it are there (their
# backlogs came before the newer lines) and the older ones, every
# container's, are in time order (timestamps are fixed width: they sort as
# text). A backlog goes in among the lines held within moments of coming,
# newer lines show as they come: saved again until then.
saves=0
saved_in_order() {
	rm -f "$UI_TMP/held$saves.log"
	saves=$((saves + 1))
	held_file="$UI_TMP/held$saves.log"
	ui_keys s C-u
	ui_text "$held_file" && ui_keys Enter
	ui_wait "Saved [0-9]+ lines to $held_file" 10 || return 1
	awk -v t="$opened" '$2 >= t { print $1 }' "$held_file" | sort -u >"$UI_TMP/newer"
	awk -v t="$opened" '$2 < t' "$held_file" >"$UI_TMP/older"
	grep -qx "mysql-0/mysql" "$UI_TMP/newer" && grep -qx "$web/wordpress" "$UI_TMP/newer" &&
		grep -q "^mysql-0/mysql " "$UI_TMP/older" && grep -q "^$web/wordpress " "$UI_TMP/older" &&
		awk '{ print $2 }' "$UI_TMP/older" | LC_ALL=C sort -c
}
ok "the lines written before the pane opened are in one time order" wait_for saved_in_order 90 ||
	diag "$(awk '{ print $2 }' "$UI_TMP/older" | LC_ALL=C sort -c 2>&1; wc -l "$UI_TMP/older")"
ok "... the database's lines among them" grep -q "^mysql-0/mysql " "$UI_TMP/older" ||
	diag "opened $opened; saved: $(head -n 3 "$held_file"; echo ...; tail -n 3 "$held_file")"
ok "... and the web server's" grep -q "^$web/wordpress " "$UI_TMP/older"
ui_stop
