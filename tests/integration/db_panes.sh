# The Catalog and Projects panes in a real terminal (tmux) against a real
# database: what they list, live updates from other clients, plans on Enter,
# pause with confirmation, forms that validate and submit, refusals in
# words, read-only mode, and the header following the connection. Then the
# :events view of the audit trail (live, filter, detail), the header on a
# pane that uses no database, and Tab completion of the panes' verbs.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/ui/lib.sh"
. "$top_srcdir/tests/lib/pg.sh"

plan 60

ui_with_pg
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
screen_has "another client's change shows up" 'medusa +Medusa JS +medusa' 20

ui_keys 2
screen_has "the Projects pane groups projects under their customer" 'acme-shops +Acme Shops .*customer, 1 project'
screen_has "with stores, CPU and memory used/quota" 'web-store +Web Store +1/2 +100m/8 +256Mi/16Gi'
q -c "$(store_sql 0000000000a2 second)" >/dev/null
screen_has "a new store elsewhere updates the usage" 'web-store +Web Store +2/2 +200m/8 +512Mi/16Gi' 20

ui_keys : && ui_text "projects quota web-store" && ui_keys Enter
screen_has "the quota form shows what is in use" 'in use: 2'
ui_keys C-u && ui_text 1 && ui_keys Enter Enter Enter
screen_has "a quota below the usage is refused in words" 'uses 2 store\(s\); its store quota cannot go below that'
# The form stays open with the refusal and the values typed.
ui_esc
ui_wait_gone 'Quota of project web-store'
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
screen_has "the header says when the database is down" 'db: down' 20
pg_restart >/dev/null
screen_has "and when it is back" 'db: ready' 20
screen_has "the lists are read again" 'web-store +Main Shop +2/2'

# Enter on a project opens the Stores pane.
ui_keys Up Up Up Up Down
ui_keys Enter
if ui_wait_gone 'Projects \(' 20; then pass "Enter on a project leaves for the Stores pane"; else fail "Enter on a project leaves for the Stores pane"; diag "$(ui_screen)"; fi

# The header belongs to the shell: it follows the database on a pane that
# uses none.
screen_has "the Stores pane shows the project's stores, filtered to it" 'Stores \(2, [0-9]+ busy; live\).*/web-store'
screen_has "the header shows the database state on the Stores pane" 'db: ready'
pg_stop >/dev/null
screen_has "and turns to down there when PostgreSQL stops" 'db: down' 20
like "$(ui_screen)" '0000000000a2 +second +web-store' "while the Stores pane keeps its rows on screen"
ui_keys : && ui_text "events" && ui_keys Enter
screen_has ":events while the database is down says so" 'The database is down'
pg_restart >/dev/null
screen_has "the header is back to ready" 'db: ready' 20

# :events: the audit trail, newest first, live.
screen_has ":events lists the audit trail once connected" 'Events \([0-9]+, newest first; the latest 500 are kept, live\)'
screen_has "with time, actor, action, object, project and message" \
	'[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}Z +pane-tester +customer\.create +customer/beta-ltd +- +created customer'
scr=$(ui_screen)
newest=$(printf '%s\n' "$scr" | grep -n 'customer/beta-ltd' | head -n 1 | cut -d: -f1)
older=$(printf '%s\n' "$scr" | grep -n 'offering\.pause' | head -n 1 | cut -d: -f1)
ok "newest first" test "${newest:-99}" -lt "${older:-0}"
like "$scr" '5 Logs +:events' "the tab bar names the open view"
od project create acme-shops "Events Shop" --slug events-shop --stores 3 >/dev/null
screen_has "an event written by another process appears within 2 s, no key pressed" \
	'pane-tester +project\.create +project/events-shop +events-shop +created project events-shop' 2
first=$(ui_screen | grep -E '[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}Z' | head -n 1)
like "$first" 'project/events-shop' "at the top"
ui_keys Enter
screen_has "Enter shows the whole event" 'Event [0-9]+: project\.create \(Esc closes\)'
scr=$(ui_screen)
like "$scr" 'message +created project events-shop \(Events Shop\) for customer acme-shops' \
	"with its message"
like "$scr" 'detail +\{' "and its detail JSON"
like "$scr" '"quota_stores": 3' "one field a line"
ui_esc
screen_has "Esc closes the event" 'Events \([0-9]+, newest first'
ui_keys / && ui_text "offering.pause" && ui_keys Enter
screen_has "/ filters the events" 'offering\.pause +offering/medusa'
if ui_wait_gone 'project\.create' 20; then pass "and hides the others"; else fail "and hides the others"; diag "$(ui_screen)"; fi
ui_keys / C-u && ui_keys Enter
screen_has "an empty filter shows them all again" 'project/events-shop'
ui_keys : && ui_text "events customer.create" && ui_keys Enter
if ui_wait_gone 'project\.create' 20 && ui_wait 'customer/beta-ltd' 20; then
	pass ":events FILTER opens it filtered"
else
	fail ":events FILTER opens it filtered"
	diag "$(ui_screen)"
fi

# Off the top row the cursor stays on its event while new ones arrive.
ui_keys / C-u && ui_keys Enter
ui_wait 'project/events-shop'
ui_keys Home Down
od customer create "Gamma Co" >/dev/null
screen_has "a new event arrives while the cursor is on the second row" 'customer/gamma-co' 20
ui_keys Enter
screen_has "and Enter still shows the event the cursor was on" 'object +customer/beta-ltd'
ui_esc

# Tab completes the panes' verbs, then their names.
ui_keys : && ui_text "catalog pa" && ui_keys Tab
screen_has "Tab completes a catalog verb" ':catalog pause *$'
ui_text "med" && ui_keys Tab
screen_has "then an offering" ':catalog pause medusa *$'
ui_keys C-u && ui_text "projects re" && ui_keys Tab
screen_has "Tab completes a projects verb" ':projects rename *$'
ui_text "ev" && ui_keys Tab
screen_has "then a project" ':projects rename events-shop *$'
ui_keys C-u && ui_text "projects new-project a" && ui_keys Tab
screen_has "new-project completes customers" ':projects new-project acme-shops *$'
ui_keys C-u && ui_text "projects " && ui_keys Tab
screen_has "a bare Tab lists every verb" 'new-customer +new-project +rename +quota +set +archive'
ui_esc
ui_keys : && ui_text "catalog pause medusa extra" && ui_keys Enter
screen_has "a word too many is refused with the usage" 'usage: :catalog pause \[OFFERING\]'

# Filters on the Stores pane: Esc clears a kept one; a bare :stores shows
# every store; one word that is neither a verb nor matches a store is an
# error, not a filter that hides everything.
ui_keys 3
screen_has "the Stores pane keeps the project's filter" 'Stores \(2, [0-9]+ busy; live\).*/web-store'
ui_esc
if ui_wait_gone '/web-store' 20; then pass "Esc clears it"; else fail "Esc clears it"; diag "$(ui_screen)"; fi
ui_keys : && ui_text "stores second" && ui_keys Enter
screen_has ":stores WORD filters" 'Stores \(2, .* 1/1 of 2 +/second'
ui_keys : && ui_text "stores" && ui_keys Enter
if ui_wait_gone '/second' 20; then pass "a bare :stores clears the filter"; else fail "a bare :stores clears the filter"; diag "$(ui_screen)"; fi
ui_keys : && ui_text "stores scael" && ui_keys Enter
screen_has "a mistyped verb is an error that names the verbs" \
	':stores scael: not a verb \(new, scale, .*\), and no store matches it'
unlike "$(ui_line 3)" '/scael' "and filters nothing"

# Read-only.
ui_start 120 30 --read-only
ui_keys 2
ui_wait 'web-store'
ui_keys : && ui_text "projects new-customer" && ui_keys Enter
screen_has "read-only mode refuses forms" 'read-only mode: refusing to change customers or projects'

# Let the console exit (it saves its history) before the files go.
ui_stop
wait_for '! ui_alive' 20 || :
