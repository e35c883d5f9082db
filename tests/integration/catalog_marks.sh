# Marks in the Catalog pane: pause and activate act on the marked
# offerings when there are any (as the Stores pane's actions do), ask once
# for all of them, are audited one by one, and the marks clear after.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/ui/lib.sh"
. "$top_srcdir/tests/lib/pg.sh"

plan 9

ui_with_pg
printf 'operator: marks-tester\n' >"$UI_CONFIG/config.yaml"
UI_ENV="PGHOST='$PGHOST' PGPORT=$PGPORT PGDATABASE=$PGDATABASE PGUSER=$PGUSER"

od() { XDG_CONFIG_HOME="$UI_TMP/config" "$OPSDECK" "$@"; }
q() { psql -X -At -v ON_ERROR_STOP=1 "$@"; }
state() { q -c "SELECT state FROM opsdeck.offerings WHERE slug = '$1'"; }

{
	od db migrate &&
		od catalog import "$top_srcdir/catalog/woocommerce.yaml" "$top_srcdir/catalog/medusa.yaml"
} >/dev/null || { echo "Bail out! cannot prepare the database"; exit 1; }

ui_start 120 30
ui_keys 1
ui_wait 'woocommerce'
ui_keys Home Space Space
screen_has "Space marks both offerings" 'marked: 2'
ui_keys p
screen_has "p asks once for the marked offerings" 'Pause 2 marked offerings\? They stop taking orders'
ui_keys y
ok "both are paused" wait_for '[ "$(state medusa),$(state woocommerce)" = paused,paused ]' 20
screen_has "the message line says how many" 'Paused 2 offerings'
ok "the marks clear after the bulk action" ui_wait_gone 'marked: 2'
is "$(q -c "SELECT count(*) FROM opsdeck.events WHERE action = 'offering.pause' AND actor = 'marks-tester'")" 2 \
	"each offering's pause is audited"

# Without marks, the offering under the cursor only.
ui_keys Home a
screen_has "a asks about the offering under the cursor" 'Activate offering [a-z]+\? It takes orders again'
ui_keys y
ok "that one is active again" \
	wait_for '[ "$(q -c "SELECT count(*) FROM opsdeck.offerings WHERE state = '\''active'\''")" = 1 ]' 20
is "$(q -c "SELECT count(*) FROM opsdeck.offerings WHERE state = 'paused'")" 1 "the other stays paused"

ui_stop
