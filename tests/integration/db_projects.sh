# Projects and customers from the CLI against a real database: named by
# slug or by name (a name several projects share is refused with their
# slugs), end dates that are not dates or are in the past refused in
# words with nothing changed, and `project set` (end date, description)
# audited and refused in read-only mode.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/cli.sh"

plan 52

cli_setup 'operator: alice\n'
cd "$work" || exit 1

nevents() { q -c "SELECT count(*) FROM opsdeck.events"; }
nprojects() { q -c "SELECT count(*) FROM opsdeck.projects"; }
field() { q -c "SELECT $1 FROM opsdeck.projects WHERE slug = '$2'"; }

{
	od db migrate &&
		od customer create "Acme Shops" &&
		od customer create "Beta Retail" --slug beta
} >/dev/null || { echo "Bail out! cannot prepare the database"; exit 1; }
today=$(q -c "SELECT to_char(current_date, 'YYYY-MM-DD')")
yesterday=$(q -c "SELECT to_char(current_date - 1, 'YYYY-MM-DD')")

# ---- customers by slug or name ----
run od project create "acme shops" "Web Store" --end-date 2031-12-31
like "$rc:$out" '^0:created project web-store ' "project create takes the customer's name, in any case"
is "$(q -c "SELECT c.slug FROM opsdeck.projects p JOIN opsdeck.customers c ON c.uuid = p.customer WHERE p.slug = 'web-store'")" \
	acme-shops "and the project belongs to that customer"
run od project create "Beta Retail" "Shop"
like "$rc:$out" '^0:created project shop ' "a customer's full name"
run od project create beta "Other"
like "$rc:$out" '^0:created project other ' "a customer's slug"
run od project create nope X
is "$rc:$err" '1:opsdeck: no customer "nope"' "an unknown customer is named in the refusal"
run od project list --customer "BETA RETAIL"
is "$(printf '%s\n' "$out" | sed 1d | awk '{print $2}' | tr '\n' ' ')" "other shop " \
	"project list --customer takes a name"
run od project list --customer nope
is "$rc:$err" '1:opsdeck: no customer "nope"' "project list --customer of an unknown customer"

# ---- end dates: invalid, in the past ----
create_usage='usage: opsdeck project create CUSTOMER NAME [--slug SLUG] [--description TEXT] [--end-date YYYY-MM-DD] [--stores N] [--cpu CORES] [--memory SIZE]'
set_usage='usage: opsdeck project set PROJECT [--end-date YYYY-MM-DD | --no-end-date] [--description TEXT]'
n=$(nprojects)
e=$(nevents)
run od project create acme-shops X --end-date 2026-02-30
is "$rc:$err" "2:opsdeck: 2026-02-30 is not a date: February 2026 has 28 days
$create_usage" "February 30th is not a date"
run od project create acme-shops X --end-date 2028-02-30
is "$rc:$err" "2:opsdeck: 2028-02-30 is not a date: February 2028 has 29 days
$create_usage" "nor in a leap year"
run od project create acme-shops X --end-date 2031-04-31
is "$rc:$err" "2:opsdeck: 2031-04-31 is not a date: April 2031 has 30 days
$create_usage" "April has 30 days"
run od project create acme-shops X --end-date 2031-13-01
is "$rc:$err" "2:opsdeck: 2031-13-01 is not a date: there is no month 13 (months are 01 to 12)
$create_usage" \
	"a thirteenth month"
run od project create acme-shops X --end-date 31/12/2031
is "$rc:$err" "2:opsdeck: invalid end date '31/12/2031': write it YYYY-MM-DD
$create_usage" \
	"a date written otherwise gets the format"
run od project create acme-shops X --end-date 2031-1-5
is "$rc:$err" "2:opsdeck: invalid end date '2031-1-5': write it YYYY-MM-DD
$create_usage" "digits are not padded"
run od project create acme-shops X --end-date "$yesterday"
is "$rc:$err" "1:opsdeck: the end date $yesterday is in the past (today is $today)" \
	"an end date in the past is refused"
is "$(nprojects):$(nevents)" "$n:$e" "the refused projects were not created, nor audited"
run od project create acme-shops "Today Only" --end-date "$today"
like "$rc:$out" '^0:created project today-only ' "an end date of today is accepted"

# ---- project set ----
run od project set web-store --end-date 2032-06-30
is "$rc:$out" "0:changed project web-store" "project set --end-date"
is "$(field end_date web-store)" 2032-06-30 "the end date changed"
run od project set "web store" --description "The main shop"
is "$rc:$out" "0:changed project web-store" "project set takes the project's name, in any case"
is "$(field "description || ' ' || end_date" web-store)" "The main shop 2032-06-30" \
	"the description changed, the end date stayed"
run od project set web-store --no-end-date --description "Both at once"
is "$rc:$(field "description || ' ' || coalesce(end_date::text, 'none')" web-store)" \
	"0:Both at once none" "--no-end-date removes the end date, with a description"
run od project set web-store --description ""
is "$rc:$(field "'[' || description || ']'" web-store)" "0:[]" 'an empty --description clears it'
e=$(nevents)
snapshot=$(q -c "SELECT string_agg(slug || coalesce(end_date::text, '-') || description, ',' ORDER BY slug) FROM opsdeck.projects")
run od project set web-store --end-date ""
is "$rc" 2 'an empty --end-date is a usage error'
like "$err" '^opsdeck: --end-date cannot be empty' "in words"
like "$err" 'usage: opsdeck project set PROJECT \[--end-date YYYY-MM-DD \| --no-end-date\] \[--description TEXT\]' \
	"with the usage line"
run od project set web-store
is "$rc:$err" "2:opsdeck: give at least one of --end-date, --no-end-date, --description
usage: opsdeck project set PROJECT [--end-date YYYY-MM-DD | --no-end-date] [--description TEXT]" \
	"project set needs something to set"
run od project set web-store --end-date 2032-01-01 --no-end-date
like "$rc:$err" '^2:opsdeck: give --end-date or --no-end-date, not both' "a date and none at once"
run od project set web-store --end-date "$yesterday"
is "$rc:$err" "1:opsdeck: the end date $yesterday is in the past (today is $today)" \
	"project set refuses an end date in the past"
run od project set web-store --end-date 2026-02-30
is "$rc:$err" "2:opsdeck: 2026-02-30 is not a date: February 2026 has 28 days
$set_usage" "project set refuses a day that does not exist"
run od project set web-store --description "$(printf 'Bad\033[2J')"
is "$rc:$err" "2:opsdeck: a project description must be at most 2000 characters of text
$set_usage" "a description with escapes is refused"
run od project set nope --description x
is "$rc:$err" '1:opsdeck: no project "nope"' "an unknown project is named in the refusal"
is "$(q -c "SELECT string_agg(slug || coalesce(end_date::text, '-') || description, ',' ORDER BY slug) FROM opsdeck.projects"):$(nevents)" \
	"$snapshot:$e" "the refusals changed nothing and wrote no event"

# The audit trail: one event per change, saying what changed.
is "$(q -c "SELECT count(*) FROM opsdeck.events WHERE action = 'project.set' AND actor = 'alice'")" 4 \
	"every project set is audited with the operator"
run od events list --project web-store
like "$out" 'changed project web-store: end date 2031-12-31 -> 2032-06-30' "the event says the end date's change"
like "$out" 'changed project web-store: end date 2032-06-30 -> none; new description' \
	"and both changes at once"

# ---- an ended project keeps its date through other changes ----
q -c "SET session_replication_role = replica; UPDATE opsdeck.projects SET end_date = '2020-01-31' WHERE slug = 'other'" >/dev/null
run od project rename other "Other Shop"
is "$rc:$(field "name || ' ' || end_date" other)" "0:Other Shop 2020-01-31" \
	"an ended project can still be renamed"
run od project set other --description "Ended"
is "$rc:$(field "description || ' ' || end_date" other)" "0:Ended 2020-01-31" \
	"and its description changed, its past end date kept"
run od project set other --end-date 2034-01-01
is "$rc:$(field end_date other)" "0:2034-01-01" "and it gets a new end date in the future"

# ---- projects by name: every verb; a shared name is refused ----
run od project create acme-shops "shop" --slug acme-shop
like "$rc:$out" '^0:created project acme-shop ' "another project named shop (another case)"
e=$(nevents)
run od project rename Shop "Renamed"
is "$rc:$err" '1:opsdeck: several projects are named "Shop": acme-shop, shop; name one by its slug' \
	"a name two projects share is refused with their slugs"
run od project set SHOP --description x
is "$rc:$err" '1:opsdeck: several projects are named "SHOP": acme-shop, shop; name one by its slug' \
	"by project set too"
run od project set-quota shop --stores 2
is "$rc:$out" "0:set the quota of project shop" "a slug wins over a name"
is "$(nevents)" "$((e + 1))" "the refusals wrote no event"
run od project rename "Web Store" "Main Shop"
is "$rc:$out" "0:renamed project web-store" "project rename takes a name"
run od project set-quota "main shop" --stores 4
is "$rc:$out:$(field quota_stores web-store)" "0:set the quota of project web-store:4" \
	"project set-quota takes the new name"
run od project archive "today only"
is "$rc:$out" "0:archived project today-only" "project archive takes a name"
run od project rename "today only" X
is "$rc:$err" "1:opsdeck: project 'today-only' is archived" "an archived project is found by name"
run od project rename nope X
is "$rc:$err" '1:opsdeck: no project "nope"' "an unknown project"

# ---- read-only mode ----
e=$(nevents)
snapshot=$(q -c "SELECT string_agg(slug || coalesce(end_date::text, '-') || description, ',' ORDER BY slug) FROM opsdeck.projects")
run od --read-only project set web-store --description "Ro"
is "$rc:$err" "1:opsdeck: read-only mode: refusing to change a project" "read-only refuses project set"
run od --read-only project set nope --description "Ro"
is "$rc:$err" "1:opsdeck: read-only mode: refusing to change a project" \
	"before looking the project up"
run od --read-only project rename "main shop" "Ro"
is "$rc:$err" "1:opsdeck: read-only mode: refusing to rename a project" "and project rename by name"
is "$(q -c "SELECT string_agg(slug || coalesce(end_date::text, '-') || description, ',' ORDER BY slug) FROM opsdeck.projects"):$(nevents)" \
	"$snapshot:$e" "read-only mode changed nothing"
