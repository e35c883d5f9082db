# The Catalog and Projects panes in a real terminal (tmux) against a real
# database: what they list, live updates from other clients, plans on Enter,
# pause with confirmation, forms that validate and submit, refusals in
# words, read-only mode, and the header following the connection.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/ui/lib.sh"
. "$top_srcdir/tests/lib/pg.sh"

plan 24

if ! command -v tmux >/dev/null 2>&1; then
	echo "Bail out! tmux is not installed (scripts/setup installs it)"
	exit 1
fi
ui_setup
pg_start || { echo "Bail out! cannot start PostgreSQL"; exit 1; }
pg_on_exit "ui_stop; wait_for \"! ui_alive\" 5; rm -rf \"\$UI_TMP\""
printf 'operator: pane-tester\n' >"$UI_CONFIG/config.yaml"
UI_ENV="PGHOST='$PGHOST' PGPORT=$PGPORT PGDATABASE=$PGDATABASE PGUSER=$PGUSER"

od() { XDG_CONFIG_HOME="$UI_TMP/config" "$OPSDECK" "$@"; }
q() { psql -X -At -v ON_ERROR_STOP=1 "$@"; }
store_sql() {
	echo "INSERT INTO opsdeck.stores (id, project, offering, plan, cluster, name, namespace, replicas, created_by)
	SELECT '$1', p.uuid, o.uuid, pl.uuid, 'kind', '$2', 'store-$1', 1, 'tester'
	FROM opsdeck.projects p, opsdeck.offerings o JOIN opsdeck.plans pl ON pl.offering = o.uuid
	WHERE p.slug = 'web-store' AND o.slug = 'woocommerce' AND pl.name = 'small'"
}
# screen_has DESC REGEX [SECS]
screen_has() {
	if ui_wait "$2" "${3:-5}"; then
		pass "$1"
	else
		fail "$1"
		diag "$(ui_screen)"
	fi
}

{
	od db migrate &&
		od catalog import "$top_srcdir/catalog/woocommerce.yaml" "$top_srcdir/catalog/medusa.yaml" &&
		od customer create "Acme Shops" &&
		od project create acme-shops "Web Store" --stores 2 &&
		q -c "INSERT INTO opsdeck.clusters (name, kube_context) VALUES ('kind', 'kind')" &&
		q -c "$(store_sql 0000000000a1 shop)"
} >/dev/null || { echo "Bail out! cannot prepare the database"; exit 1; }

ui_start 120 30
ui_keys 1
screen_has "the Catalog pane lists offerings with state, plans and live stores" \
	'woocommerce +WooCommerce +woocommerce +active +3 +1 '
screen_has "the header shows the database state" 'db: ready'
ui_keys Enter
screen_has "Enter shows the plans of the offering under the cursor" 'Plans of medusa \(3\)'
screen_has "with requests-limits, storage and price" 'small +1 +200m-1 +512Mi-1Gi +2Gi +29.00 +yes +0'
ui_esc
ui_wait_gone 'Plans of medusa'
ui_keys : && ui_text "catalog pause medusa" && ui_keys Enter
screen_has "pausing asks first" 'Pause offering medusa\?'
ui_keys y
screen_has "and then pauses it" 'medusa +Medusa +medusa +paused'
is "$(q -c "SELECT actor || ' ' || action FROM opsdeck.events ORDER BY id DESC LIMIT 1")" \
	"pane-tester offering.pause" "the pause is audited with the operator"
q -c "UPDATE opsdeck.offerings SET name = 'Medusa JS' WHERE slug = 'medusa'" >/dev/null
screen_has "another client's change shows up" 'medusa +Medusa JS +medusa' 3

ui_keys 2
screen_has "the Projects pane groups projects under their customer" 'acme-shops +Acme Shops .*customer, 1 project'
screen_has "with stores, CPU and memory used/quota" 'web-store +Web Store +1/2 +100m/8 +256Mi/16Gi'
q -c "$(store_sql 0000000000a2 second)" >/dev/null
screen_has "a new store elsewhere updates the usage" 'web-store +Web Store +2/2 +200m/8 +512Mi/16Gi' 3

ui_keys : && ui_text "projects quota web-store" && ui_keys Enter
screen_has "the quota form shows what is in use" 'in use: 2'
ui_keys C-u && ui_text 1 && ui_keys Enter Enter Enter
screen_has "a quota below the usage is refused in words" 'uses 2 store\(s\); its store quota cannot go below that'
ui_keys : && ui_text "projects rename web-store" && ui_keys Enter
ui_wait 'Rename project web-store'
ui_keys C-u && ui_text "Main Shop" && ui_keys Enter
screen_has "rename through a form" 'web-store +Main Shop +2/2'
ui_keys : && ui_text "projects new-project" && ui_keys Enter
ui_wait 'New project'
ui_keys Tab && ui_text "Bad" && ui_keys Enter Enter Enter Enter Enter && ui_keys C-u && ui_text lots && ui_keys Enter Enter
screen_has "the form checks a field before anything is sent" "invalid CPU amount 'lots'"
ui_esc
is "$(q -c "SELECT count(*) FROM opsdeck.projects")" 1 "and a cancelled form creates nothing"
ui_keys : && ui_text "projects new-customer" && ui_keys Enter
ui_wait 'New customer'
ui_text "Beta Ltd" && ui_keys Enter Enter
screen_has "a new customer through a form" 'beta-ltd +Beta Ltd .*customer, 0 projects'
ui_keys : && ui_text "projects archive web-store" && ui_keys Enter
screen_has "archiving a project with live stores is refused" 'Project web-store has 2 live store\(s\)'
ui_keys : && ui_text "projects bogus" && ui_keys Enter
screen_has "an unknown subcommand says what exists" "projects: unknown 'bogus'"

# The database goes away and comes back.
pg_stop >/dev/null
screen_has "the header says when the database is down" 'db: down' 5
pg_restart >/dev/null
screen_has "and when it is back" 'db: ready' 10
screen_has "the lists are read again" 'web-store +Main Shop +2/2'

# Enter on a project opens the Stores pane.
ui_keys Up Up Up Up Down
ui_keys Enter
if ui_wait_gone 'Projects \(' 3; then pass "Enter on a project leaves for the Stores pane"; else fail "Enter on a project leaves for the Stores pane"; diag "$(ui_screen)"; fi

# Read-only.
ui_start 120 30 --read-only
ui_keys 2
ui_wait 'web-store'
ui_keys : && ui_text "projects new-customer" && ui_keys Enter
screen_has "read-only mode refuses forms" 'read-only mode: refusing to change customers or projects'

# Let the console exit (it saves its history) before the files go.
ui_stop
wait_for '! ui_alive' 5 || :
