# The customer, project, catalog and events commands against a real
# database: results, input validation with exit codes, the audit trail,
# read-only mode, and catalog import (good files, and each kind of bad file
# reported as file:line:column with nothing imported).
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/pg.sh"
. "$top_srcdir/tests/lib/cli.sh"

plan 94

cli_setup 'operator: alice\n'
cd "$work" || exit 1

nevents() { q -c "SELECT count(*) FROM opsdeck.events"; }

od db migrate >/dev/null || { echo "Bail out! db migrate failed"; exit 1; }

# ---- customers ----
run od customer create "Acme Shops"
like "$rc:$out" '^0:created customer acme-shops \([0-9a-f-]{36}\)$' "customer create makes a slug from the name"
run od --db "$OPSDECK_TEST_DB" customer create "Acme Two" --slug acme2
is "$rc:$out" "0:created customer acme2 ($(q -c "SELECT uuid FROM opsdeck.customers WHERE slug = 'acme2'"))" \
	"customer create takes --slug (and --db selects the database)"
run od customer create '!!!'
like "$rc:$err" "^2:opsdeck: cannot make a slug from '!!!': give one with --slug" "a name without letters needs a slug"
run od customer create X --slug Bad_Slug
like "$rc:$err" "^2:opsdeck: invalid slug 'Bad_Slug'" "a bad slug is refused before the database"
run od customer create "$(printf 'Evil\033[2J')"
like "$rc:$err" "^2:opsdeck: a customer name must be 1 to 200 characters on one line" "a name with escapes is refused"
run od customer create
like "$rc:$err" '^2:opsdeck: missing arguments' "a missing argument is a usage error"
like "$err" 'usage: opsdeck customer create NAME \[--slug SLUG\]' "with the usage line"
run od customer create X --bogus
like "$rc:$err" "^2:opsdeck: unknown option '--bogus'" "an unknown option is a usage error"
run od customer create "Acme Shops"
is "$rc:$err" "1:opsdeck: a customer with that slug already exists" "a duplicate customer is refused in words"
run od customer list --json
is "$(printf '%s' "$out" | tr -d ' \n' | sed 's/"uuid":"[^"]*",//g; s/"created_at":"[^"]*",//g')" \
	'[{"slug":"acme-shops","name":"AcmeShops","projects":0,"archived":false},{"slug":"acme2","name":"AcmeTwo","projects":0,"archived":false}]' \
	"customer list --json"

# ---- projects ----
run od project create acme-shops "Web Store" --description "Main shop" --end-date 2031-12-31 \
	--stores 3 --cpu 1.5 --memory 3Gi
like "$rc:$out" '^0:created project web-store \(' "project create with quotas, description and end date"
run od project list --json
j=$(printf '%s' "$out" | tr -d '\n' | tr -s ' ')
like "$j" '"customer": "acme-shops", "slug": "web-store", "name": "Web Store", "description": "Main shop", "end_date": "2031-12-31"' \
	"project list --json has the project's fields"
like "$j" '"quota": \{ "stores": 3, "cpu_millis": 1500, "memory_mib": 3072 \}' "and its quotas as given"
run od project create acme-shops "Defaults"
run od project list --customer acme-shops
like "$out" 'acme-shops +defaults +Defaults +0/5 +0/8 +0Mi/16Gi +- +active' "defaults: 5 stores, 8 CPUs, 16Gi"
run od project create acme-shops X --cpu lots
like "$rc:$err" "^2:opsdeck: invalid CPU amount 'lots'" "a bad CPU amount is a usage error"
run od project create acme-shops X --memory 5GB
like "$rc:$err" "^2:opsdeck: invalid memory amount '5GB'" "a bad memory amount is a usage error"
run od project create acme-shops X --stores -1
like "$rc:$err" "^2:opsdeck: --stores takes a whole number from 0 to 10000" "a negative store quota is a usage error"
run od project create acme-shops X --end-date 2031-02-30
like "$rc:$err" "^2:opsdeck: 2031-02-30 is not a date: February 2031 has 28 days" "an impossible date is refused"
run od project create nope X
is "$rc:$err" '1:opsdeck: no customer "nope"' "a project needs an existing customer"
run od project create acme2 "Web Store"
is "$rc:$err" "1:opsdeck: a project with that slug already exists" "project slugs are unique"
run od project rename web-store "Main Web Store"
is "$rc:$out" "0:renamed project web-store" "project rename"
is "$(q -c "SELECT name FROM opsdeck.projects WHERE slug = 'web-store'")" "Main Web Store" "the name changed"
run od project rename missing X
is "$rc:$err" '1:opsdeck: no project "missing"' "renaming a missing project says so"
run od project set-quota web-store
like "$rc:$err" '^2:opsdeck: give at least one of --stores, --cpu, --memory' "set-quota needs a quota"
run od project set-quota web-store --cpu 2
is "$rc:$out" "0:set the quota of project web-store" "set-quota --cpu"
is "$(q -c "SELECT quota_stores || ' ' || quota_cpu_millis || ' ' || quota_memory_mib FROM opsdeck.projects WHERE slug = 'web-store'")" \
	"3 2000 3072" "only the CPU quota changed"

# ---- the audit trail ----
run od events list --json
actions=$(printf '%s' "$out" | grep '"action"' | sed 's/.*"action": "\([^"]*\)".*/\1/' | tr '\n' ' ')
is "$actions" "project.set_quota project.rename project.create project.create customer.create customer.create schema.migrate " \
	"every mutation wrote one event, newest first"
is "$(q -c "SELECT count(*) FROM opsdeck.events WHERE actor = 'alice'")" 7 "with the operator as the actor"
run od events list --project web-store
is "$(printf '%s\n' "$out" | sed 1d | awk '{print $4}' | tr '\n' ' ')" "project.set_quota project.rename project.create " \
	"events list --project keeps that project's events"
like "$out" 'set the quota of project web-store: stores 3 -> 3, CPU 1500m -> 2000m, memory 3072Mi -> 3072Mi' \
	"the message says what changed"
like "$out" 'renamed project web-store from Web Store to Main Web Store' "renames name both names"
run od events list --limit 0
like "$rc:$err" '^2:opsdeck: --limit takes a whole number' "a bad limit is a usage error"
run od events list --limit 2
is "$(printf '%s\n' "$out" | sed 1d | wc -l | tr -d ' ')" 2 "--limit bounds the listing"

# ---- catalog import ----
run od catalog import "$top_srcdir/catalog/woocommerce.yaml" "$top_srcdir/catalog/medusa.yaml"
is "$rc:$out" "0:imported 2 offering(s): 2 created, 0 updated, 6 plan(s)" "the shipped catalog imports"
run od catalog list --json
is "$(printf '%s' "$out" | tr -d '\n' | tr -s ' ' | sed 's/"uuid": "[^"]*", //g; s/"description": "[^"]*", //g')" \
	'[ { "slug": "medusa", "name": "Medusa", "kind": "medusa", "state": "active", "plans": 3, "stores": 0 }, { "slug": "woocommerce", "name": "WooCommerce", "kind": "woocommerce", "state": "active", "plans": 3, "stores": 0 }]' \
	"catalog list --json"
run od catalog show woocommerce
like "$out" '^PLAN +REPLICAS +CPU +MEMORY +STORAGE +PRICE +ACTIVE +STORES' "catalog show lists plans"
like "$out" 'small +1 +100m-500m +256Mi-512Mi +2Gi +19.00 +yes +0' "with requests-limits, storage and price"
like "$out" 'large +3 +500m-2 +1Gi-2Gi +10Gi +129.00 +yes +0' "for each plan"
is "$(q -c "SELECT md5(template) FROM opsdeck.offerings WHERE slug = 'medusa'")" \
	"$(md5sum <"$top_srcdir/catalog/medusa.yaml" | cut -d' ' -f1)" "the file is stored as the template"
run od catalog pause medusa --reason "image rebuild"
is "$rc:$out" "0:paused offering medusa" "catalog pause"
run od catalog import "$top_srcdir/catalog/medusa.yaml"
is "$rc:$out" "0:imported 1 offering(s): 0 created, 1 updated, 3 plan(s)" "re-importing updates"
is "$(q -c "SELECT state FROM opsdeck.offerings WHERE slug = 'medusa'")" paused "and keeps the operator's pause"
run od catalog pause medusa
is "$rc:$out" "0:offering medusa is already paused" "pausing twice is harmless"
run od catalog activate medusa
is "$rc:$out" "0:activated offering medusa" "catalog activate"
is "$(q -c "SELECT string_agg(action || ': ' || message, ' | ' ORDER BY id) FROM opsdeck.events WHERE object = 'offering/medusa'")" \
	"catalog.import: created offering medusa from $top_srcdir/catalog/medusa.yaml with 3 plan(s) | offering.pause: paused offering medusa: image rebuild | catalog.import: updated offering medusa from $top_srcdir/catalog/medusa.yaml with 3 plan(s) | offering.activate: activated offering medusa" \
	"imports, pauses and activations are audited (no event for a no-op)"
run od catalog pause nope
is "$rc:$err" '1:opsdeck: no offering "nope"' "pausing an unknown offering says so"
run od catalog show nope
like "$rc:$err" '^1:opsdeck: no offering "nope"' "showing one too"

# ---- bad catalog files ----
cat >mini.yaml <<'EOF'
offering:
  slug: mini
  name: Mini
  kind: woocommerce
  description: A small test offering.
  state: active
plans:
  - name: small
    replicas: 1
    cpu_request: 100m
    cpu_limit: 500m
    memory_request: 256Mi
    memory_limit: 512Mi
    storage: 2Gi
    monthly_price: 19.00
manifests:
  - apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
      labels:
        opsdeck.io/store: "{{ store.id }}"
    spec:
      replicas: "{{ plan.replicas }}"
      template:
        spec:
          containers:
            - name: web
              image: nginx:1.25
  - apiVersion: v1
    kind: Service
    metadata:
      name: web
    spec:
      ports:
        - {port: 80, protocol: TCP}
EOF
run od catalog check mini.yaml
is "$rc:$out:$err" "0:mini.yaml: offering mini (woocommerce), 1 plan(s), 2 manifest(s): ok:" "catalog check accepts a good file"

# A Service port without protocol: Kubernetes 1.20's server-side apply
# refuses it, so check warns at the entry and still succeeds.
sed 's/- {port: 80, protocol: TCP}/- port: 80/' mini.yaml >noproto.yaml
run od catalog check noproto.yaml
is "$rc:$out" "0:noproto.yaml: offering mini (woocommerce), 1 plan(s), 2 manifest(s): ok, 1 warning(s)" \
	"a port without protocol is a warning, not an error"
is "$err" "opsdeck: noproto.yaml:36:11: warning: Service web: spec.ports[0] omits protocol, which server-side apply on Kubernetes 1.20 needs (write protocol: TCP)" \
	"the warning names file:line:column of the entry and what to write"
run od catalog check --json noproto.yaml
is "$rc:$err:$(printf '%s' "$out" | python3 -c 'import json,sys; w=json.load(sys.stdin)[0]["warnings"]; print(len(w), w[0]["line"], w[0]["column"])')" \
	"0::1 36 11" "catalog check --json carries the warnings"

# bad NAME SED-SCRIPT WANT: a copy of mini.yaml edited by SED-SCRIPT must fail
# to import with stderr WANT (a regex), and import nothing.
bad() {
	sed "$2" mini.yaml >"$1.yaml"
	before=$(nevents)
	run od catalog import "$1.yaml"
	if [ "$rc" = 1 ] && printf '%s\n' "$err" | grep -Eq -- "^opsdeck: $1\\.yaml:$3" &&
		printf '%s\n' "$err" | grep -q 'nothing was imported' && [ "$(nevents)" = "$before" ]; then
		pass "bad file: $1"
	else
		fail "bad file: $1"
		diag "rc=$rc" "$err" "want: $1.yaml:$3"
	fi
}
bad syntax '3s/.*/  name: [Mini/' '[0-9]+:[0-9]+: .*'
bad no-slug '2d' "2:3: offering needs 'slug'"
bad slug 's/slug: mini/slug: Mini_Shop/' "2:9: offering.slug 'Mini_Shop' is not a DNS-1123 label"
bad kind 's/kind: woocommerce/kind: magento/' "4:9: unknown offering.kind 'magento' \\(opsdeck provisions: woocommerce, medusa\\)"
bad top-key '$a extras: 1' "37:1: unknown key 'extras' in a catalog file"
bad cpu-limit 's/cpu_limit: 500m/cpu_limit: 50m/' "11:16: cpu_limit must be at least cpu_request"
bad replicas '9s/replicas: 1/replicas: many/' "9:15: expected a whole number from 1 to 20"
bad memory 's/memory_request: 256Mi/memory_request: 256MB/' "12:21: memory_request: invalid memory amount '256MB'"
bad price 's/monthly_price: 19.00/monthly_price: cheap/' "15:20: monthly_price must be an amount"
bad placeholder 's/{{ store.id }}/{{ store.secret }}/' "22:27: unknown placeholder 'store.secret'"
bad unterminated 's/"{{ store.id }}"/"{{ store.id"/' "22:27: unterminated placeholder"
bad key-placeholder 's/opsdeck.io\/store:/"{{ store.id }}":/' "22:9: placeholders belong in values, not in keys"
bad cluster-kind 's/kind: Service/kind: ClusterRole/' "31:11: kind 'ClusterRole' is not allowed in a store"
bad api-version 's/apiVersion: apps\/v1/apiVersion: apps\/v1beta1/' "17:17: Deployment is served as apiVersion apps/v1"
bad object-name '20s/name: web/name: MySQL/' "20:13: metadata.name 'MySQL' is not a DNS-1123 label"
bad namespace '20a\      namespace: kube-system' "21:18: metadata.namespace may only be \\{\\{ store.namespace \\}\\}"
bad no-image '29d' "28:15: a container needs 'image'"
bad plan-in-offering 's/name: Mini/name: "{{ store.id }}"/' "3:9: an offering field cannot hold a placeholder"
is "$(q -c "SELECT count(*) FROM opsdeck.offerings")" 2 "no bad file imported anything"

run od catalog import mini.yaml slug.yaml
like "$rc:$err" "^1:opsdeck: slug.yaml:2:9: " "a good and a bad file together fail"
is "$(q -c "SELECT count(*) FROM opsdeck.offerings WHERE slug = 'mini'")" 0 "and the good one is not imported either"
sed 's/name: Mini/name: Mini Again/' mini.yaml >mini2.yaml
run od catalog import mini.yaml mini2.yaml
like "$rc:$err" "^1:opsdeck: mini.yaml and mini2.yaml both define offering mini" "two files cannot define one offering"
run od catalog check mini.yaml kind.yaml replicas.yaml
is "$rc" 1 "catalog check fails on bad files"
is "$(printf '%s\n' "$err" | grep -c '^opsdeck: ')" 2 "and reports every bad file"

# ---- plans leaving a file are retired, not deleted ----
awk '/^  - name: small/ { print "  - name: tiny"; print "    replicas: 1"; print "    cpu_request: 50m";
	print "    cpu_limit: 100m"; print "    memory_request: 64Mi"; print "    memory_limit: 128Mi";
	print "    storage: 1Gi"; print "    monthly_price: 5" } { print }' mini.yaml >two.yaml
run od catalog import two.yaml
is "$rc:$out" "0:imported 1 offering(s): 1 created, 0 updated, 2 plan(s)" "an offering with two plans"
run od catalog import mini.yaml
is "$(q -c "SELECT string_agg(p.name || '=' || p.active, ',' ORDER BY p.name) FROM opsdeck.plans p JOIN opsdeck.offerings o ON o.uuid = p.offering WHERE o.slug = 'mini'")" \
	"small=true,tiny=false" "a plan gone from the file is retired"
run od catalog import noproto.yaml
is "$rc:$out" "0:imported 1 offering(s): 0 created, 1 updated, 1 plan(s)" "import takes a file with a warning"
like "$err" '^opsdeck: noproto\.yaml:36:11: warning: Service web: spec\.ports\[0\] omits protocol' "and says the warning"

# ---- archive ----
run od project archive defaults
is "$rc:$out" "0:archived project defaults" "project archive"
run od project archive defaults
is "$rc:$err" "1:opsdeck: project 'defaults' is archived" "archiving twice says so"
run od project list
unlike "$out" 'defaults' "archived projects are hidden"
run od project list --all
like "$out" 'defaults .* archived' "unless --all"

# ---- read-only mode refuses every mutation before touching anything ----
before=$(nevents)
snapshot=$(q -c "SELECT string_agg(slug || name || quota_stores || coalesce(archived_at::text, ''), ',' ORDER BY slug) FROM opsdeck.projects")
ro() {
	run od --read-only "$@"
	if [ "$rc" = 1 ] && printf '%s' "$err" | grep -q '^opsdeck: read-only mode: refusing to '; then
		pass "read-only refuses: $*"
	else
		fail "read-only refuses: $*"
		diag "rc=$rc" "$err"
	fi
}
ro customer create "Ro Customer"
ro project create acme-shops "Ro Project"
ro project rename web-store "Ro Name"
ro project set-quota web-store --stores 1
ro project archive web-store
ro catalog import mini.yaml
ro catalog pause woocommerce
ro catalog activate medusa
is "$(nevents)" "$before" "read-only mode wrote no event"
is "$(q -c "SELECT string_agg(slug || name || quota_stores || coalesce(archived_at::text, ''), ',' ORDER BY slug) FROM opsdeck.projects")" \
	"$snapshot" "and changed no project"
run od --read-only project list
is "$rc" 0 "read-only mode still lists"
