#include "config.h"

#include "demo.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "buf.h"
#include "yamljson.h"

#define PRELOAD_MAX (16 * 1024 * 1024)

static const char demo_manifest[] =
    "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: store-a1b2c3d4e5f6\n  labels:\n"
    "    app.kubernetes.io/managed-by: opsdeck\n    opsdeck.io/store: a1b2c3d4e5f6\n"
    "    opsdeck.io/project: acme-shop\n"
    "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: mysql-secret\n"
    "  namespace: store-a1b2c3d4e5f6\n  labels: {opsdeck.io/store: a1b2c3d4e5f6}\n"
    "stringData:\n  database: wordpress\n  username: wordpress\n"
    "  password: demo-not-a-secret\n  root-password: demo-not-a-secret-either\n"
    "---\napiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: store-quota\n"
    "  namespace: store-a1b2c3d4e5f6\nspec:\n  hard:\n    requests.cpu: \"1\"\n"
    "    requests.memory: 1Gi\n    limits.cpu: \"2\"\n    limits.memory: 2Gi\n"
    "    persistentvolumeclaims: \"2\"\n    pods: \"10\"\n"
    "---\napiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: mysql-pvc\n"
    "  namespace: store-a1b2c3d4e5f6\nspec:\n  accessModes: [ReadWriteOnce]\n"
    "  resources: {requests: {storage: 5Gi}}\n"
    "---\napiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: mysql\n"
    "  namespace: store-a1b2c3d4e5f6\n  labels: {app: mysql, opsdeck.io/store: a1b2c3d4e5f6}\n"
    "spec:\n  serviceName: mysql\n  replicas: 1\n  selector: {matchLabels: {app: mysql}}\n"
    "  template:\n    metadata: {labels: {app: mysql, opsdeck.io/store: a1b2c3d4e5f6}}\n"
    "    spec:\n      containers:\n      - name: mysql\n        image: mysql:8.0\n"
    "        ports: [{containerPort: 3306}]\n"
    "        resources: {requests: {cpu: 100m, memory: 256Mi}, limits: {cpu: 500m, memory: "
    "512Mi}}\n"
    "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: mysql\n"
    "  namespace: store-a1b2c3d4e5f6\nspec:\n  selector: {app: mysql}\n"
    "  ports: [{port: 3306}]\n"
    "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: wordpress\n"
    "  namespace: store-a1b2c3d4e5f6\n  labels: {app: wordpress, opsdeck.io/store: "
    "a1b2c3d4e5f6}\n"
    "spec:\n  replicas: 2\n  selector: {matchLabels: {app: wordpress}}\n  template:\n"
    "    metadata: {labels: {app: wordpress, opsdeck.io/store: a1b2c3d4e5f6}}\n"
    "    spec:\n      containers:\n      - name: wordpress\n"
    "        image: wordpress:6.4-php8.2-apache\n        ports: [{containerPort: 80}]\n"
    "        resources: {requests: {cpu: 100m, memory: 256Mi}, limits: {cpu: 500m, memory: "
    "512Mi}}\n"
    "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: wordpress\n"
    "  namespace: store-a1b2c3d4e5f6\nspec:\n  selector: {app: wordpress}\n"
    "  ports: [{port: 80}]\n"
    "---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n"
    "  name: wordpress-ingress\n  namespace: store-a1b2c3d4e5f6\nspec:\n  rules:\n"
    "  - host: a1b2c3d4e5f6.localhost\n    http:\n      paths:\n      - path: /\n"
    "        pathType: Prefix\n        backend: {service: {name: wordpress, port: {number: "
    "80}}}\n"
    "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n"
    "  name: store-isolation\n  namespace: store-a1b2c3d4e5f6\nspec:\n  podSelector: {}\n"
    "  ingress:\n  - from: [{podSelector: {}}]\n"
    "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: store-0f1e2d3c4b5a\n  labels:\n"
    "    app.kubernetes.io/managed-by: opsdeck\n    opsdeck.io/store: 0f1e2d3c4b5a\n"
    "    opsdeck.io/project: bobs-bikes\n"
    "---\napiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: postgres\n"
    "  namespace: store-0f1e2d3c4b5a\nspec:\n  serviceName: postgres\n  replicas: 1\n"
    "  selector: {matchLabels: {app: postgres}}\n  template:\n"
    "    metadata: {labels: {app: postgres}}\n    spec:\n      containers:\n"
    "      - {name: postgres, image: 'postgres:16', ports: [{containerPort: 5432}]}\n"
    "  volumeClaimTemplates:\n  - metadata: {name: data}\n"
    "    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 2Gi}}}\n"
    "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: redis\n"
    "  namespace: store-0f1e2d3c4b5a\nspec:\n  replicas: 1\n"
    "  selector: {matchLabels: {app: redis}}\n  template:\n    metadata: {labels: {app: "
    "redis}}\n"
    "    spec:\n      containers:\n      - {name: redis, image: 'redis:7', ports: "
    "[{containerPort: 6379}]}\n"
    "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: medusa\n"
    "  namespace: store-0f1e2d3c4b5a\nspec:\n  replicas: 2\n"
    "  selector: {matchLabels: {app: medusa}}\n  template:\n    metadata: {labels: {app: "
    "medusa}}\n"
    "    spec:\n      containers:\n      - {name: medusa, image: 'medusajs/medusa:1.20', "
    "ports: [{containerPort: 9000}]}\n"
    "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: store-badc0ffee123\n  labels:\n"
    "    app.kubernetes.io/managed-by: opsdeck\n    opsdeck.io/store: badc0ffee123\n"
    "    opsdeck.io/project: acme-shop\n"
    "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: wordpress\n"
    "  namespace: store-badc0ffee123\nspec:\n  replicas: 1\n"
    "  selector: {matchLabels: {app: wordpress}}\n  template:\n"
    "    metadata: {labels: {app: wordpress}}\n    spec:\n      containers:\n"
    "      - {name: wordpress, image: 'wordpress:invalid-tag'}\n"
    "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: kafka\n"
    "---\napiVersion: kafka.strimzi.io/v1beta2\nkind: KafkaTopic\nmetadata:\n"
    "  name: store-events\n  namespace: kafka\n  labels: {strimzi.io/cluster: events}\n"
    "spec:\n  partitions: 6\n  replicas: 3\n  config: {retention.ms: 604800000}\n"
    "---\napiVersion: kafka.strimzi.io/v1beta2\nkind: KafkaTopic\nmetadata:\n"
    "  name: order-audit\n  namespace: kafka\n  labels: {strimzi.io/cluster: events}\n"
    "spec:\n  partitions: 3\n  replicas: 3\n";

bool demo_apply_text(struct sim *s, const char *label, const char *text, size_t len,
		     struct err *err)
{
	json_t *docs = yamljson_docs(text, len, err), *doc;
	size_t i;

	if (!docs) {
		char msg[sizeof(err->msg)];

		snprintf(msg, sizeof(msg), "%s", err->msg);
		err_set(err, "%s: %s", label, msg);
		return false;
	}
	json_array_foreach(docs, i, doc)
	{
		json_t *items = json_object_get(doc, "items"), *item;
		size_t j;
		struct err e = {{0}};

		if (!json_is_object(doc)) {
			err_set(err, "%s: document %zu is not a mapping", label, i + 1);
			json_decref(docs);
			return false;
		}
		if (json_is_array(items) &&
		    str_eq(json_string_value(json_object_get(doc, "kind")), "List")) {
			json_array_foreach(items, j, item)
			{
				if (!api_preload_object(s, item, &e)) {
					err_set(err, "%s: document %zu, item %zu: %s", label, i + 1,
						j + 1, e.msg);
					json_decref(docs);
					return false;
				}
			}
			continue;
		}
		if (!api_preload_object(s, doc, &e)) {
			err_set(err, "%s: document %zu: %s", label, i + 1, e.msg);
			json_decref(docs);
			return false;
		}
	}
	json_decref(docs);
	return true;
}

bool demo_apply_file(struct sim *s, const char *path, struct err *err)
{
	FILE *f = fopen(path, "rb");
	struct buf b = BUF_INIT;
	char chunk[8192];
	size_t n;
	bool ok;

	if (!f) {
		err_set(err, "%s: %s", path, strerror(errno));
		return false;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		buf_append(&b, chunk, n);
		if (b.len > PRELOAD_MAX) {
			fclose(f);
			buf_free(&b);
			err_set(err, "%s: larger than %d bytes", path, PRELOAD_MAX);
			return false;
		}
	}
	fclose(f);
	ok = demo_apply_text(s, path, buf_str(&b), b.len, err);
	buf_free(&b);
	return ok;
}

bool demo_load(struct sim *s, struct err *err)
{
	return demo_apply_text(s, "demo", demo_manifest, sizeof(demo_manifest) - 1, err);
}

void demo_bootstrap(struct sim *s)
{
	static const char *const names[] = {"default", "kube-system", "kube-public",
					    "kube-node-lease", NULL};

	for (const char *const *n = names; *n; n++) {
		json_t *doc = json_pack("{s:s, s:s, s:{s:s}}", "apiVersion", "v1", "kind",
					"Namespace", "metadata", "name", *n);
		struct err e = {{0}};

		if (!api_preload_object(s, doc, &e))
			fatal("kubesim: cannot create namespace %s: %s", *n, e.msg);
		json_decref(doc);
	}
}
