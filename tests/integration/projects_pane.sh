# The Projects pane's end date and description form, and forms that wait
# for the database: e opens the form prefilled with the project's values;
# a date that does not exist is refused by the form, one in the past by the
# database, and either way the form stays open with what was typed and
# nothing changes; a change is audited. The order form keeps its input and
# shows the refusal when the project has ended. Projects are named by slug
# or name in the panes' commands. Read-only mode refuses the form; 80x24.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/ui/lib.sh"
. "$top_srcdir/tests/lib/pg.sh"

plan 31

ui_with_pg
printf 'operator: pane-tester\n' >"$UI_CONFIG/config.yaml"
UI_ENV="PGHOST='$PGHOST' PGPORT=$PGPORT PGDATABASE=$PGDATABASE PGUSER=$PGUSER"

od() { XDG_CONFIG_HOME="$UI_TMP/config" "$OPSDECK" "$@"; }
q() { psql -X -At -v ON_ERROR_STOP=1 "$@"; }
field() { q -c "SELECT $1 FROM opsdeck.projects WHERE slug = '$2'"; }
nevents() { q -c "SELECT count(*) FROM opsdeck.events"; }

{
	od db migrate &&
		od catalog import "$top_srcdir/catalog/woocommerce.yaml" &&
		od customer create Acme &&
		od project create acme "Old Shop" --slug old --description "Ended last year" &&
		od project create acme "Spring" --slug shop --description "First text" &&
		q -c "INSERT INTO opsdeck.clusters (name, kube_context) VALUES ('kind', 'kind')" &&
		q -c "SET session_replication_role = replica;
		      UPDATE opsdeck.projects SET end_date = '2020-01-31' WHERE slug = 'old'"
} >/dev/null || { echo "Bail out! cannot prepare the database"; exit 1; }
today=$(q -c "SELECT to_char(current_date, 'YYYY-MM-DD')")
yesterday=$(q -c "SELECT to_char(current_date - 1, 'YYYY-MM-DD')")

ui_start 120 30
ui_keys 2
screen_has "the Projects pane lists the projects" 'shop +Spring +0/5 .* - +First text'

# ---- e: the form, prefilled ----
ui_keys Down
ui_wait 'old +Old Shop'
ui_keys e
screen_has "e opens the end date and description form" 'Project old: end date and description'
like "$(ui_screen)" 'End date +2020-01-31' "with the project's end date"
like "$(ui_screen)" 'Description +Ended last year' "and its description"
ui_esc
ui_wait_gone 'Project old: end date'

e=$(nevents)
ui_keys : && ui_text "projects set SPRING" && ui_keys Enter
screen_has ":projects set takes a project's name, in any case" 'Project shop: end date and description'
ui_text "2026-02-30" && ui_keys Enter Enter
screen_has "a day that does not exist is refused by the form" \
	'2026-02-30 is not a date: February 2026 has 28 days'
ui_keys C-u && ui_text "$yesterday" && ui_keys Enter
ui_keys C-u && ui_text "Summer sale" && ui_keys Enter
screen_has "an end date in the past is refused in words" \
	"the end date $yesterday is in the past \\(today is $today\\)"
like "$(ui_screen)" "End date +$yesterday" "the form stays open with the date typed"
like "$(ui_screen)" 'Description +Summer sale' "and the description typed"
is "$(field "coalesce(end_date::text, '-') || ' ' || description" shop):$(nevents)" "- First text:$e" \
	"and nothing changed"
ui_keys BTab C-u && ui_text "2033-03-31" && ui_keys Enter Enter
screen_has "a good date is saved" 'shop +Spring +0/5 .* 2033-03-31 +Summer sale'
ui_wait_gone 'Project shop: end date'
is "$(field "end_date || ' ' || description" shop)" "2033-03-31 Summer sale" "in the database"
is "$(q -c "SELECT actor || ' ' || action || ' ' || message FROM opsdeck.events ORDER BY id DESC LIMIT 1")" \
	"pane-tester project.set changed project shop: end date none -> 2033-03-31; new description" \
	"the change is audited with the operator"
ui_keys : && ui_text "projects set shop" && ui_keys Enter
ui_wait 'Project shop: end date'
ui_keys Enter Enter
screen_has "submitting what is there is refused" 'Nothing changed: edit the end date or the description'
ui_keys BTab C-u Enter Enter
screen_has "an emptied end date removes it" 'shop +Spring +0/5 .* - +Summer sale'
is "$(field "coalesce(end_date::text, 'none')" shop)" none "in the database"
ui_keys : && ui_text "projects set nope" && ui_keys Enter
screen_has "an unknown project is named" 'no project "nope"'

# ---- the order form keeps its input when refused ----
ui_keys : && ui_text "stores new old" && ui_keys Enter
screen_has ":stores new opens the order form for the project" 'Project +< old >'
ui_keys Enter Enter Enter && ui_text "web1" && ui_keys Enter Enter
screen_has "an order for an ended project is refused in the form" \
	'project old ended on 2020-01-31; it cannot get stores'
like "$(ui_screen)" 'Order a store' "the order form stays open"
like "$(ui_screen)" 'Name +web1' "with the name typed"
is "$(q -c "SELECT count(*) FROM opsdeck.stores")" 0 "and no store was ordered"
ui_keys Up Up Up Up Right
ui_wait 'Project +< shop >'
ui_keys Enter Enter Enter Enter Enter
ui_wait_gone 'Order a store'
screen_has "the same form then orders for another project" \
	'Ordered store web1 \(woocommerce/[a-z]+\) for project shop'
is "$(q -c "SELECT s.name || ' ' || p.slug FROM opsdeck.stores s JOIN opsdeck.projects p ON p.uuid = s.project")" \
	"web1 shop" "with the input kept"
ui_keys : && ui_text "stores new SPRING" && ui_keys Enter
screen_has ":stores new takes a project's name, in any case" 'Project +< shop >'
ui_esc
ui_wait_gone 'Order a store'
ui_keys : && ui_text "stores new nope" && ui_keys Enter
screen_has ":stores new of an unknown project says so" 'no project "nope"'

# ---- 80x24, read-only ----
ui_resize 80 24
ui_keys 2
ui_wait 'old +Old Shop'
ui_keys : && ui_text "projects set old" && ui_keys Enter
screen_has "the form fits 80x24" 'Project old: end date and description'
like "$(ui_screen)" 'End date +2020-01-31' "with its fields"
like "$(ui_screen)" 'Enter next/save' "and its keys"
ui_esc
ui_stop
wait_for "! ui_alive" 20

ui_start 120 30 --read-only
ui_keys 2
ui_wait 'old +Old Shop'
ui_keys Down e
screen_has "read-only mode refuses the form" 'read-only mode: refusing to change customers or projects'
unlike "$(ui_screen)" 'end date and description' "and opens none"
