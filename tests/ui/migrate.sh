#!/bin/sh
# The console migrates an empty database when it starts, and still starts
# (showing the database as down) when the server cannot be reached.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/ui/lib.sh"

plan 7
pg_start || { echo "Bail out! no PostgreSQL"; exit 1; }
db=$(pg_createdb console_start)
# Cleanup runs last registered first: the console, then the server.
ui_setup

like "$("$UI_BIN" --db "$db" db status 2>&1)" '001_init +pending' "a new database has its migration pending"
ui_start 120 40 "--db '$db'"
ok "the console comes up on the new database" ui_wait 'db: ready' 10
like "$("$UI_BIN" --db "$db" db status 2>&1)" '001_init +applied' "and it migrated the schema at start"
# Pane keys: c in the Projects pane opens the customer form.
ui_keys 2 c
ok "c opens the New customer form" ui_wait 'New customer'
ui_text 'Keyed Customer'
ui_keys Enter Enter
ok "the new customer appears in the pane" ui_wait 'keyed-customer +Keyed Customer' 20
ui_keys 1 p
ok "p in the Catalog pane with no offering says so" ui_wait 'No offering here to act on'
ui_keys q
wait_for '! ui_alive' 20

ui_start 120 40 "--db 'host=$UI_TMP/nothing-here dbname=x user=x'"
ok "an unreachable database does not stop the console" ui_wait '3 Stores'
