# Stores named as operators name them in the console: `:stores VERB` and
# `:logs` take a store's name, PROJECT/NAME or a unique id prefix; Tab
# completes names with their ids; an ambiguous or unknown name is said in
# words and changes nothing.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/ui/lib.sh"
. "$top_srcdir/tests/lib/pg.sh"

plan 27

ui_with_pg
printf 'operator: names-tester\n' >"$UI_CONFIG/config.yaml"
UI_ENV="PGHOST='$PGHOST' PGPORT=$PGPORT PGDATABASE=$PGDATABASE PGUSER=$PGUSER"

od() { XDG_CONFIG_HOME="$UI_TMP/config" "$OPSDECK" "$@"; }
q() { psql -X -At -v ON_ERROR_STOP=1 "$@"; }
# store_sql ID NAME PROJECT
store_sql() {
	echo "INSERT INTO opsdeck.stores (id, project, offering, plan, cluster, name, namespace, replicas, created_by, status, ready_at)
	SELECT '$1', p.uuid, o.uuid, pl.uuid, 'kind', '$2', 'store-$1', 1, 'tester', 'Ready', now()
	FROM opsdeck.projects p, opsdeck.offerings o JOIN opsdeck.plans pl ON pl.offering = o.uuid
	WHERE p.slug = '$3' AND o.slug = 'woocommerce' AND pl.name = 'small'"
}

{
	od db migrate &&
		od catalog import "$top_srcdir/catalog/woocommerce.yaml" &&
		od customer create "Acme Shops" &&
		od project create acme-shops "Web Store" --stores 5 &&
		od project create acme-shops "Other" --stores 5 &&
		q -c "INSERT INTO opsdeck.clusters (name, kube_context) VALUES ('kind', 'kind')" &&
		q -c "$(store_sql 0000000000a1 outlet web-store)" &&
		q -c "$(store_sql 0000000000b1 web web-store)" &&
		q -c "$(store_sql 0000000000c1 web other)" &&
		q -c "SET session_replication_role = replica; $(store_sql e00000000001 stage1 web-store | sed "s/'Ready', now()/'Deleted', now()/");
		UPDATE opsdeck.stores SET updated_at = '2026-11-20 10:30:00+00' WHERE id = 'e00000000001'" &&
		q -c "INSERT INTO opsdeck.stores (id, project, offering, plan, cluster, name, namespace, replicas, created_by, status, error_message)
		SELECT 'f000000000d1', p.uuid, o.uuid, pl.uuid, 'kind', 'broken', 'store-f000000000d1', 1, 'tester', 'Failed',
		'deployment/web: ImagePullBackOff: image \"registry.example.net/shops/woocommerce:8.9-php8.3-apache\" not found after 5 pulls; the last pull ended 3m ago with manifest unknown'
		FROM opsdeck.projects p, opsdeck.offerings o JOIN opsdeck.plans pl ON pl.offering = o.uuid
		WHERE p.slug = 'other' AND o.slug = 'woocommerce' AND pl.name = 'small'"
} >"$UI_TMP/prepare.log" 2>&1 || { echo "Bail out! cannot prepare the database: $(tail -n 3 "$UI_TMP/prepare.log")"; exit 1; }

ui_start 120 30
ui_keys 3
ui_wait '0000000000c1' 20

ui_keys : && ui_text "stores pause out" && ui_keys Tab
screen_has "Tab completes a unique store name" ':stores pause outlet ?$'
ui_keys C-u && ui_text "stores pause w" && ui_keys Tab
screen_has "Tab lists a shared name as PROJECT/NAME with the ids" \
	'other/web \(0000000000c1\) +web-store/web \(0000000000b1\)'
ui_keys C-u && ui_text "stores pause 00000000" && ui_keys Tab
screen_has "an id prefix completes to ids, their names beside them" \
	'0000000000b1 \(web-store/web\) +0000000000a1 \(outlet\)'
ui_esc
# The screen redrawn after Esc (another pane shown) has no completions.
ui_keys 2 && ui_wait 'Projects \('
unlike "$(ui_screen)" '0000000000a1 \(outlet\)' "the list of completions goes with the prompt"
ui_keys 3

ui_keys : && ui_text "stores pause web" && ui_keys Enter
screen_has "an ambiguous name is said, with the stores it names" \
	'"web" names 2 stores: .*web-store/web \(0000000000b1\).*give PROJECT/NAME or the id'
ui_keys : && ui_text "stores pause web-store/web" && ui_keys Enter
screen_has "PROJECT/NAME picks one store and asks first" 'Pause store 0000000000b1\?'
ui_keys n
ui_keys : && ui_text "stores pause outlet" && ui_keys Enter
screen_has "a unique name picks its store" 'Pause store 0000000000a1\?'
ui_keys y
if wait_for '[ "$(q -c "SELECT count(*) FROM opsdeck.jobs j WHERE j.store = '\''0000000000a1'\'' AND kind = '\''pause'\''")" = 1 ]' 20; then
	pass "and the operation reaches that store"
else
	fail "and the operation reaches that store"
fi
is "$(q -c "SELECT count(*) FROM opsdeck.jobs WHERE store <> '0000000000a1'")" 0 \
	"and no other store"

ui_keys : && ui_text "stores show 0000000000c" && ui_keys Enter
screen_has "a unique id prefix opens the store's details" 'Store 0000000000c1|0000000000c1.*other'
ui_esc
ui_keys : && ui_text "stores show nope" && ui_keys Enter
screen_has "an unknown store is said in words" 'no store "nope"'

ui_keys : && ui_text "logs ou" && ui_keys Tab
screen_has ":logs completes store names" ':logs outlet ?$'
ui_keys Enter
screen_has ":logs takes a store's name" 'for store web-store/outlet \(0000000000a1\)'
ui_keys : && ui_text "logs zzz" && ui_keys Enter
screen_has ":logs says an unknown store" 'no store "zzz"'
ui_keys : && ui_text "logs stage1" && ui_keys Enter
# the console's stores are the live ones: a deleted store is not followed
screen_has ":logs of a deleted store is an error in words" 'no store "stage1"'
ui_keys : && ui_text "logs e00000000001" && ui_keys Enter
screen_has "... by its id too" 'no store "e00000000001"'
ui_keys : && ui_text "logs 00" && ui_keys Enter
screen_has ":logs says the length an id prefix takes" \
	'no store "00" \(an id prefix takes at least 4 characters\)'
ui_keys : && ui_text "logs other/web" && ui_keys Enter
screen_has ":logs takes PROJECT/NAME" 'for store other/web \(0000000000c1\)'

# Y copies the value under the cursor to the terminal's clipboard (OSC 52,
# which tmux keeps as a paste buffer).
ui__tmux set-option -g set-clipboard on
ui_keys 3 && ui_keys : && ui_text "stores outlet" && ui_keys Enter
ui_wait '1/1 of 4'
ui_keys Y
screen_has "Y says what it copied, not the value" 'Copied 12 characters to the clipboard'
ok "the store's id is on the clipboard" wait_for '[ "$(ui__tmux show-buffer 2>/dev/null)" = 0000000000a1 ]' 20
ui_keys : && ui_text "stores show outlet" && ui_keys Enter
ui_wait 'Store 0000000000a1'
ui_keys Down && ui_keys Y
ok "in the details, the value of the line under the cursor" \
	wait_for '[ "$(ui__tmux show-buffer 2>/dev/null)" = outlet ]' 20
ui_esc && ui_keys : && ui_text "stores" && ui_keys Enter

# At 80x24 the essentials fit: id, name, status, ready and age, and the
# title before its counts.
ui_keys 3
ui_resize 80 24
screen_has "at 80x24 the Stores pane keeps ID, NAME, STATUS, READY and AGE" \
	'^ +ID +NAME +STATUS +READY +AGE'
screen_has "and its title" '^ Stores \(4, '

# A long value in a store's details is read whole below them, wrapped.
ui_keys : && ui_text "stores show broken" && ui_keys Enter
ui_wait 'Store f000000000d1'
ui_keys Down Down Down Down Down Down
screen_has "the footer shows the line under the cursor whole" \
	'^ +error: deployment/web: ImagePullBackOff: image'
screen_has "wrapped to its end" 'manifest unknown'
# Help over the details: nothing of them shows around its box.
ui_keys '?'
ui_wait 'Help: key map'
unlike "$(ui_screen | sed -n '5,22p' | sed 's/^.*[│┘]//')" '[^ ]' \
	"help at 80x24 hides everything of the pane below it"
ui_esc
# Columns scrolled in one store's details start at the left in the next.
ui_keys Right
ui_wait_gone '^ +FIELD'
ui_esc
ui_keys : && ui_text "stores show outlet" && ui_keys Enter
screen_has "other details open scrolled back to the first column" '^ +FIELD +VALUE'

ui_stop
