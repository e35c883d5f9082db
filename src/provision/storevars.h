/* The values a store's template placeholders take (doc/database.md lists
 * them), but for the generated secrets, which only the job that applies
 * the template holds. One rule for that job and for the reconcile pass,
 * which renders the template again to know which objects a store's
 * namespace must hold. */
#ifndef OPSDECK_PROVISION_STOREVARS_H
#define OPSDECK_PROVISION_STOREVARS_H

#include <stdbool.h>
#include <stddef.h>

#include "db/jobs.h"

/* The value of placeholder name ("store.host", "plan.replicas"...) for
 * store st, served at https://<id>.<domain>, whose URL is url; numbers
 * and the host are written into buf. NULL for a secret.* placeholder and
 * for a name that is not a placeholder. */
const char *storevars_value(const struct job_store *st, const char *domain, const char *url,
			    const char *name, char *buf, size_t bufsz);

/* The URL store st is served at: https://<id>.<domain> once a provision
 * job has run (provisioning true), else the URL it was given, or that one
 * when it has none. */
void storevars_url(const struct job_store *st, const char *domain, bool provisioning, char *out,
		   size_t outsz);

#endif
