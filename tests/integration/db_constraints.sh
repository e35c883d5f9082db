# The schema refuses bad data whoever writes it: every CHECK, foreign key
# and trigger rule is exercised with plain SQL, and the quota arithmetic
# (stores, CPU and memory from the stores' plans) is checked end to end.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/cli.sh"

plan 97

cli_setup 'operator: tester\n'

# rejects DESC PATTERN SQL: the statement fails with an error matching PATTERN.
rejects() {
	if out=$(q -c "$3" 2>&1); then
		fail "$1"
		diag "accepted: $3"
		return 1
	fi
	like "$out" "$2" "$1"
}
accepts() {
	if out=$(q -c "$2" 2>&1); then
		pass "$1"
	else
		fail "$1"
		diag "$out"
	fi
}

# store_sql ID PROJECT OFFERING PLAN CLUSTER NAME REPLICAS
store_sql() {
	echo "INSERT INTO opsdeck.stores (id, project, offering, plan, cluster, name, namespace, replicas, created_by)
	SELECT '$1', p.uuid, o.uuid, pl.uuid, '$5', '$6', 'store-$1', $7, 'tester'
	FROM opsdeck.projects p, opsdeck.offerings o JOIN opsdeck.plans pl ON pl.offering = o.uuid
	WHERE p.slug = '$2' AND o.slug = '$3' AND pl.name = '$4'"
}
uuid_of() { q -c "SELECT uuid FROM opsdeck.$1 WHERE slug = '$2'"; }

od db migrate >/dev/null || { echo "Bail out! db migrate failed"; exit 1; }
od catalog import "$top_srcdir/catalog/woocommerce.yaml" "$top_srcdir/catalog/medusa.yaml" >/dev/null ||
	{ echo "Bail out! catalog import failed"; exit 1; }
q >/dev/null <<'EOF'
INSERT INTO opsdeck.customers (name, slug) VALUES ('Acme', 'acme'), ('Gone', 'gone');
INSERT INTO opsdeck.projects (customer, name, slug, quota_stores, quota_cpu_millis, quota_memory_mib)
SELECT uuid, 'Web', 'web', 2, 1000, 2048 FROM opsdeck.customers WHERE slug = 'acme';
INSERT INTO opsdeck.projects (customer, name, slug, quota_stores, quota_cpu_millis, quota_memory_mib)
SELECT uuid, 'Big', 'big', 100, 100000, 1000000 FROM opsdeck.customers WHERE slug = 'acme';
INSERT INTO opsdeck.clusters (name, kube_context, max_stores) VALUES ('kind-a', 'kind-a', 50), ('kind-b', 'kind-b', 1);
EOF
acme=$(uuid_of customers acme)
web=$(uuid_of projects web)
woo=$(uuid_of offerings woocommerce)
medusa_small=$(q -c "SELECT pl.uuid FROM opsdeck.plans pl JOIN opsdeck.offerings o ON o.uuid = pl.offering WHERE o.slug = 'medusa' AND pl.name = 'small'")

# ---- customers ----
rejects "customer slug with uppercase and '_'" customers_slug_dns \
	"INSERT INTO opsdeck.customers (name, slug) VALUES ('X', 'Bad_Slug')"
rejects "customer slug starting with '-'" customers_slug_dns \
	"INSERT INTO opsdeck.customers (name, slug) VALUES ('X', '-x')"
rejects "customer slug ending with '-'" customers_slug_dns \
	"INSERT INTO opsdeck.customers (name, slug) VALUES ('X', 'x-')"
rejects "customer slug of 64 characters" customers_slug_dns \
	"INSERT INTO opsdeck.customers (name, slug) VALUES ('X', repeat('a', 64))"
rejects "empty customer slug" customers_slug_dns \
	"INSERT INTO opsdeck.customers (name, slug) VALUES ('X', '')"
accepts "customer slug of 63 characters" \
	"INSERT INTO opsdeck.customers (name, slug) VALUES ('Long', repeat('a', 63))"
rejects "duplicate customer slug" customers_slug_unique \
	"INSERT INTO opsdeck.customers (name, slug) VALUES ('X', 'acme')"
rejects "blank customer name" customers_name_valid \
	"INSERT INTO opsdeck.customers (name, slug) VALUES ('', 'blank')"
rejects "customer name with surrounding spaces" customers_name_valid \
	"INSERT INTO opsdeck.customers (name, slug) VALUES (' Acme ', 'spaced')"
rejects "customer name with a control character" customers_name_valid \
	"INSERT INTO opsdeck.customers (name, slug) VALUES (E'Ac\\x1bme', 'ctrl')"
rejects "customer archived before it was created" customers_archived_after_created \
	"UPDATE opsdeck.customers SET archived_at = created_at - interval '1 day' WHERE slug = 'gone'"
rejects "archiving a customer with active projects" "customer acme still has 2 active project" \
	"UPDATE opsdeck.customers SET archived_at = now() WHERE slug = 'acme'"

# ---- projects ----
rejects "project without a customer" projects_customer_fk \
	"INSERT INTO opsdeck.projects (customer, name, slug) VALUES (gen_random_uuid(), 'X', 'orphan')"
rejects "project slug not a DNS label" projects_slug_dns \
	"INSERT INTO opsdeck.projects (customer, name, slug) VALUES ('$acme', 'X', 'Web Shop')"
rejects "duplicate project slug (across customers too)" projects_slug_unique \
	"INSERT INTO opsdeck.projects (customer, name, slug) SELECT uuid, 'X', 'web' FROM opsdeck.customers WHERE slug = 'gone'"
rejects "negative store quota" projects_quota_stores_range \
	"INSERT INTO opsdeck.projects (customer, name, slug, quota_stores) VALUES ('$acme', 'X', 'neg1', -1)"
rejects "negative CPU quota" projects_quota_cpu_range \
	"INSERT INTO opsdeck.projects (customer, name, slug, quota_cpu_millis) VALUES ('$acme', 'X', 'neg2', -1)"
rejects "negative memory quota" projects_quota_memory_range \
	"INSERT INTO opsdeck.projects (customer, name, slug, quota_memory_mib) VALUES ('$acme', 'X', 'neg3', -5)"
rejects "description with a control character" projects_description_valid \
	"INSERT INTO opsdeck.projects (customer, name, slug, description) VALUES ('$acme', 'X', 'ctl', E'a\\x07b')"
accepts "description with newlines" \
	"INSERT INTO opsdeck.projects (customer, name, slug, description) VALUES ('$acme', 'Multi', 'multi', E'line one\\nline two')"
q -c "UPDATE opsdeck.customers SET archived_at = now() WHERE slug = 'gone'" >/dev/null
rejects "project for an archived customer" "the customer is archived" \
	"INSERT INTO opsdeck.projects (customer, name, slug) SELECT uuid, 'X', 'late' FROM opsdeck.customers WHERE slug = 'gone'"
rejects "un-archiving a customer" "cannot be restored" \
	"UPDATE opsdeck.customers SET archived_at = NULL WHERE slug = 'gone'"
rejects "changing a project's slug" "customer and slug cannot change" \
	"UPDATE opsdeck.projects SET slug = 'web2' WHERE slug = 'web'"

# ---- offerings and plans ----
rejects "offering of an unknown kind" offerings_kind_known \
	"INSERT INTO opsdeck.offerings (slug, name, kind, template) VALUES ('magento', 'Magento', 'magento', 'x')"
rejects "offering in an unknown state" offerings_state_valid \
	"UPDATE opsdeck.offerings SET state = 'deleted' WHERE slug = 'medusa'"
rejects "offering slug not a DNS label" offerings_slug_dns \
	"INSERT INTO opsdeck.offerings (slug, name, kind, template) VALUES ('Woo', 'W', 'woocommerce', 'x')"
rejects "offering without a template" offerings_template_size \
	"INSERT INTO opsdeck.offerings (slug, name, kind, template) VALUES ('empty', 'E', 'woocommerce', '')"
plan_sql() {
	echo "INSERT INTO opsdeck.plans (offering, name, replicas, cpu_request_millis, cpu_limit_millis,
	memory_request_mib, memory_limit_mib, storage_gib, monthly_price) VALUES ('$woo', $1)"
}
rejects "plan with 0 replicas" plans_replicas_range "$(plan_sql "'p1', 0, 100, 200, 64, 128, 1, 1")"
rejects "plan with 21 replicas" plans_replicas_range "$(plan_sql "'p2', 21, 100, 200, 64, 128, 1, 1")"
rejects "plan whose CPU limit is below its request" plans_cpu_limit_range "$(plan_sql "'p3', 1, 500, 200, 64, 128, 1, 1")"
rejects "plan with a CPU request under 10m" plans_cpu_request_range "$(plan_sql "'p4', 1, 5, 200, 64, 128, 1, 1")"
rejects "plan whose memory limit is below its request" plans_memory_limit_range "$(plan_sql "'p5', 1, 100, 200, 256, 128, 1, 1")"
rejects "plan without storage" plans_storage_range "$(plan_sql "'p6', 1, 100, 200, 64, 128, 0, 1")"
rejects "plan with a negative price" plans_price_range "$(plan_sql "'p7', 1, 100, 200, 64, 128, 1, -1")"
rejects "plan name not a DNS label" plans_name_dns "$(plan_sql "'Small', 1, 100, 200, 64, 128, 1, 1")"
rejects "two plans of one name in an offering" plans_name_unique "$(plan_sql "'small', 1, 100, 200, 64, 128, 1, 1")"

# ---- clusters ----
rejects "cluster name not a DNS label" clusters_name_dns \
	"INSERT INTO opsdeck.clusters (name, kube_context) VALUES ('Kind_C', 'x')"
rejects "cluster in an unknown state" clusters_state_valid \
	"INSERT INTO opsdeck.clusters (name, kube_context, state) VALUES ('c3', 'x', 'broken')"
rejects "cluster with negative capacity" clusters_max_stores_range \
	"INSERT INTO opsdeck.clusters (name, kube_context, max_stores) VALUES ('c4', 'x', -1)"

# ---- stores: values ----
rejects "store id in uppercase hex" stores_id_hex "$(store_sql ABCDEF012345 big woocommerce small kind-a s1 1)"
rejects "store id of 11 characters" stores_id_hex "$(store_sql abcdef01234 big woocommerce small kind-a s1 1)"
rejects "store id with a non-hex letter" stores_id_hex "$(store_sql abcdef01234g big woocommerce small kind-a s1 1)"
rejects "store namespace that is not store-<id>" stores_namespace_of_id \
	"$(store_sql 000000000001 big woocommerce small kind-a s1 1 | sed "s/'store-000000000001'/'other-ns'/")"
rejects "store name not a DNS label" stores_name_dns "$(store_sql 000000000001 big woocommerce small kind-a My_Store 1)"
rejects "store with 0 replicas" stores_replicas_range "$(store_sql 000000000001 big woocommerce small kind-a s1 0)"
rejects "store on an unknown cluster" stores_cluster_fk "$(store_sql 000000000001 big woocommerce small nowhere s1 1)"
rejects "store whose plan belongs to another offering" stores_plan_of_offering \
	"INSERT INTO opsdeck.stores (id, project, offering, plan, cluster, name, namespace, replicas, created_by)
	 SELECT '000000000001', p.uuid, '$woo', '$medusa_small', 'kind-a', 's1', 'store-000000000001', 1, 'tester'
	 FROM opsdeck.projects p WHERE p.slug = 'big'"
accepts "a good store" "$(store_sql 0000000000a1 big woocommerce small kind-a shop 1)"
rejects "a second live store of the same name in a project" stores_project_name_live \
	"$(store_sql 0000000000a2 big woocommerce small kind-a shop 1)"
rejects "unknown store status" stores_status_valid \
	"UPDATE opsdeck.stores SET status = 'Running' WHERE id = '0000000000a1'"
rejects "a Failed store without a reason" stores_failed_has_error \
	"UPDATE opsdeck.stores SET status = 'Failed' WHERE id = '0000000000a1'"
rejects "a Ready store without ready_at" stores_ready_has_time \
	"UPDATE opsdeck.stores SET status = 'Ready' WHERE id = '0000000000a1'"
rejects "a URL that is not http(s)" stores_url_valid \
	"UPDATE opsdeck.stores SET url = 'javascript:alert(1)' WHERE id = '0000000000a1'"
rejects "moving a store to another project" "cannot change" \
	"UPDATE opsdeck.stores SET project = '$web' WHERE id = '0000000000a1'"

# ---- jobs ----
rejects "job of an unknown kind" jobs_kind_valid \
	"INSERT INTO opsdeck.jobs (store, kind) VALUES ('0000000000a1', 'reboot')"
rejects "job in an unknown state" jobs_state_valid \
	"INSERT INTO opsdeck.jobs (store, kind, state) VALUES ('0000000000a1', 'provision', 'paused')"
rejects "job with more attempts than allowed" jobs_attempts_bounded \
	"INSERT INTO opsdeck.jobs (store, kind, attempts, max_attempts) VALUES ('0000000000a1', 'provision', 6, 5)"
rejects "running job without a lease" jobs_running_leased \
	"INSERT INTO opsdeck.jobs (store, kind, state) VALUES ('0000000000a1', 'provision', 'running')"
rejects "lease owner without expiry" jobs_lease_whole \
	"INSERT INTO opsdeck.jobs (store, kind, lease_owner) VALUES ('0000000000a1', 'provision', 'w1')"
rejects "job args that are not an object" jobs_args_object \
	"INSERT INTO opsdeck.jobs (store, kind, args) VALUES ('0000000000a1', 'scale', '[1]')"
rejects "job for an unknown store" jobs_store_fk \
	"INSERT INTO opsdeck.jobs (store, kind) VALUES ('ffffffffffff', 'provision')"
accepts "a good job" "INSERT INTO opsdeck.jobs (store, kind, args) VALUES ('0000000000a1', 'provision', '{\"replicas\": 1}')"

# ---- the audit trail ----
rejects "event with a malformed action" events_action_valid \
	"INSERT INTO opsdeck.events (actor, action, object, message) VALUES ('me', 'Create Thing', 'x', 'y')"
rejects "event without a message" events_message_valid \
	"INSERT INTO opsdeck.events (actor, action, object, message) VALUES ('me', 'a.b', 'x', '')"
rejects "changing an event" "append-only" "UPDATE opsdeck.events SET actor = 'mallory'"
rejects "deleting events" "append-only" "DELETE FROM opsdeck.events"
rejects "truncating events" "append-only" "TRUNCATE opsdeck.events"

# ---- quota arithmetic (project web: 2 stores, 1000m CPU, 2Gi memory) ----
usage() { q -c "SELECT stores_used || ' ' || cpu_used_millis || ' ' || memory_used_mib FROM opsdeck.project_usage WHERE project = '$web'"; }
is "$(usage)" "0 0 0" "an empty project uses nothing"
accepts "a small store (1 x 100m, 256Mi)" "$(store_sql 0000000000b1 web woocommerce small kind-a one 1)"
accepts "a medium store (2 x 250m, 512Mi)" "$(store_sql 0000000000b2 web woocommerce medium kind-a two 2)"
is "$(usage)" "2 600 1280" "usage sums plan requests times replicas"
rejects "a third store over the store quota" "project web has used 2 of its 2 store" \
	"$(store_sql 0000000000b3 web woocommerce small kind-a three 1)"
od project set-quota web --stores 5 >/dev/null
rejects "a large store over the CPU quota" "project web would use 2100m of its 1000m CPU quota" \
	"$(store_sql 0000000000b3 web woocommerce large kind-a three 3)"
od project set-quota web --cpu 4 >/dev/null
rejects "a large store over the memory quota" "project web would use 4352Mi of its 2048Mi memory quota" \
	"$(store_sql 0000000000b3 web woocommerce large kind-a three 3)"
accepts "scaling a store within the quota" "UPDATE opsdeck.stores SET replicas = 3 WHERE id = '0000000000b2'"
is "$(usage)" "2 850 1792" "scaling changes the usage"
rejects "scaling a store beyond the memory quota" "project web would use 2304Mi of its 2048Mi memory quota" \
	"UPDATE opsdeck.stores SET replicas = 4 WHERE id = '0000000000b2'"
out=$(od project list --json | tr -d ' \n')
like "$out" '"slug":"web",.*"quota":\{"stores":5,"cpu_millis":4000,"memory_mib":2048\},"used":\{"stores":2,"cpu_millis":850,"memory_mib":1792\}' \
	"project list --json reports quotas and usage"
out=$(od project list --customer acme | grep '^acme  *web ')
like "$out" ' 2/5 +850m/4 +1792Mi/2Gi ' "project list shows used/quota in words"
out=$(od project set-quota web --memory 1Gi 2>&1); rc=$?
like "$rc:$out" "^1:opsdeck: project web uses 1792Mi memory; its memory quota cannot go below that" \
	"a quota below the usage is refused"
out=$(od project set-quota web --stores 1 2>&1); rc=$?
like "$rc:$out" "^1:opsdeck: project web uses 2 store\\(s\\); its store quota cannot go below that" \
	"a store quota below the stores in use is refused"

# ---- ordering rules ----
accepts "a store on the one-slot cluster" "$(store_sql 0000000000c1 big woocommerce small kind-b c-one 1)"
rejects "a store on a full cluster" "cluster kind-b is full \\(1 of 1 stores\\)" \
	"$(store_sql 0000000000c2 big woocommerce small kind-b c-two 1)"
q -c "UPDATE opsdeck.clusters SET state = 'cordoned' WHERE name = 'kind-a'" >/dev/null
rejects "a store on a cordoned cluster" "cluster kind-a is cordoned" \
	"$(store_sql 0000000000c3 big woocommerce small kind-a c-three 1)"
q -c "UPDATE opsdeck.clusters SET state = 'active' WHERE name = 'kind-a'" >/dev/null
od catalog pause medusa >/dev/null
rejects "a store of a paused offering" "the offering is paused; it takes no new orders" \
	"$(store_sql 0000000000c4 big medusa small kind-a m-one 1)"
od catalog activate medusa >/dev/null
q -c "UPDATE opsdeck.plans SET active = false WHERE name = 'large' AND offering = '$woo'" >/dev/null
rejects "a store on a retired plan" "plan large is no longer offered" \
	"$(store_sql 0000000000c5 big woocommerce large kind-a w-large 1)"
q -c "UPDATE opsdeck.plans SET active = true WHERE name = 'large' AND offering = '$woo'" >/dev/null
rejects "an end date set in the past" "the end date [0-9-]+ is in the past" \
	"UPDATE opsdeck.projects SET end_date = current_date - 1 WHERE slug = 'multi'"
# A project that has ended: its end date passed (set without the triggers).
q -c "SET session_replication_role = replica;
      UPDATE opsdeck.projects SET end_date = current_date - 1 WHERE slug = 'multi'" >/dev/null
rejects "a store in a project past its end date" "project multi ended on" \
	"$(store_sql 0000000000c6 multi woocommerce small kind-a late 1)"

# ---- archiving ----
out=$(od project archive web 2>&1); rc=$?
like "$rc:$out" "^1:opsdeck: project web has 2 live store\\(s\\); delete them before archiving it" \
	"archiving a project with live stores is refused"
is "$(q -c "SELECT archived_at IS NULL FROM opsdeck.projects WHERE slug = 'web'")" t "and the project stays active"
q -c "UPDATE opsdeck.stores SET status = 'Deleted' WHERE project = '$web'" >/dev/null
is "$(usage)" "0 0 0" "deleted stores use nothing"
out=$(od project archive web 2>&1); rc=$?
is "$rc:$out" "0:archived project web" "a project without live stores can be archived"
rejects "a store in an archived project" "project web is archived; it cannot get stores" \
	"$(store_sql 0000000000d1 web woocommerce small kind-a after 1)"
rejects "changing an archived project" "project web is archived and cannot be changed" \
	"UPDATE opsdeck.projects SET name = 'Again' WHERE slug = 'web'"
rejects "changing a deleted store" "store 0000000000b1 is deleted and cannot change" \
	"UPDATE opsdeck.stores SET status = 'Ready', ready_at = now() WHERE id = '0000000000b1'"

# ---- change notifications ----
out=$(printf '%s\n' "LISTEN opsdeck;" \
	"INSERT INTO opsdeck.customers (name, slug) VALUES ('Notified', 'notified');" \
	"UPDATE opsdeck.clusters SET max_stores = 60 WHERE name = 'kind-a';" \
	"SELECT 1;" | psql -X -q 2>&1)
nuuid=$(uuid_of customers notified)
# (jsonb's text form: keys by length, then name)
like "$out" "Asynchronous notification \"opsdeck\" with payload \"\\{\"op\": \"insert\", \"key\": \"$nuuid\", \"table\": \"customers\"\\}\"" \
	"an insert is announced with its table, operation and key"
like "$out" '"op": "update", "key": "kind-a", "table": "clusters"' "an update too"
