#include "config.h"

#include "provision/storevars.h"

#include <stdio.h>
#include <string.h>

#include "db/db.h"

const char *storevars_value(const struct job_store *st, const char *domain, const char *url,
			    const char *name, char *buf, size_t bufsz)
{
	if (strcmp(name, "store.id") == 0)
		return st->id;
	if (strcmp(name, "store.name") == 0)
		return st->name;
	if (strcmp(name, "store.namespace") == 0)
		return st->namespace;
	if (strcmp(name, "store.host") == 0) {
		snprintf(buf, bufsz, "%s.%s", st->id, domain);
		return buf;
	}
	if (strcmp(name, "store.url") == 0)
		return url;
	if (strcmp(name, "project.slug") == 0)
		return st->project;
	if (strcmp(name, "offering.slug") == 0)
		return st->offering;
	if (strcmp(name, "plan.name") == 0)
		return st->plan.name;
	if (strcmp(name, "plan.replicas") == 0) {
		/* The store's own count: it may have been scaled since the order. */
		snprintf(buf, bufsz, "%ld", st->replicas);
		return buf;
	}
	if (strcmp(name, "plan.cpu_request") == 0) {
		db_format_cpu(st->plan.cpu_request_millis, buf, bufsz);
		return buf;
	}
	if (strcmp(name, "plan.cpu_limit") == 0) {
		db_format_cpu(st->plan.cpu_limit_millis, buf, bufsz);
		return buf;
	}
	if (strcmp(name, "plan.memory_request") == 0) {
		db_format_memory(st->plan.memory_request_mib, buf, bufsz);
		return buf;
	}
	if (strcmp(name, "plan.memory_limit") == 0) {
		db_format_memory(st->plan.memory_limit_mib, buf, bufsz);
		return buf;
	}
	if (strcmp(name, "plan.storage") == 0) {
		snprintf(buf, bufsz, "%ldGi", st->plan.storage_gib);
		return buf;
	}
	return NULL;
}

void storevars_url(const struct job_store *st, const char *domain, bool provisioning, char *out,
		   size_t outsz)
{
	if (provisioning || !st->url || !st->url[0])
		snprintf(out, outsz, "https://%s.%s", st->id, domain);
	else
		snprintf(out, outsz, "%s", st->url);
}
