# A database ready for stores, and a store ordered and provisioned, for
# shell tests that need one. Load after tap.sh, pg.sh and sim.sh (the
# database and kubesim started); the caller defines od (opsdeck with its
# settings).
#
#   store_prepare_db        migrates the database and adds the WooCommerce
#                           offering, customer Acme with project shop (10
#                           stores) and kubesim's cluster as "local"; bails
#                           out if any step fails
#   store_order_ready NAME  orders store NAME in project shop (woocommerce,
#                           small), sets id to its id, waits until a worker
#                           (the caller's) has it Ready, and tests that it is
#   store_status_of ID      the store's status

store_prepare_db() {
	{
		od db migrate &&
			od catalog import "$top_srcdir/catalog/woocommerce.yaml" &&
			od customer create Acme &&
			od project create acme Shop --stores 10 --cpu 100 --memory 200Gi &&
			od cluster add local --context "$SIM_CONTEXT"
	} >/dev/null || { echo "Bail out! cannot prepare the database"; exit 1; }
}

store_status_of() {
	psql -X -At -v ON_ERROR_STOP=1 -c "SELECT status FROM opsdeck.stores WHERE id = '$1'"
}

store_order_ready() {
	id=$(od store create shop woocommerce small "$1" |
		sed -n 's/^ordered store \([0-9a-f]*\) .*/\1/p')
	wait_for "[ \"\$(store_status_of '$id')\" = Ready ]" 120
	is "$(store_status_of "$id")" Ready "the store is provisioned"
}
