/* A minimal but valid /openapi/v3: an index of the served group versions,
 * each pointing to an OpenAPI 3 document whose PATCH operations declare the
 * fieldValidation parameter and whose schemas carry
 * x-kubernetes-group-version-kind. That is what kubectl's field validation
 * looks for before it lets the server validate (kubectl apply --server-side
 * without --validate=false). */
#ifndef OPSDECK_KUBESIM_OPENAPI_H
#define OPSDECK_KUBESIM_OPENAPI_H

#include <jansson.h>

json_t *openapi_index(void);
/* gv_path: "api/v1", "apis/apps/v1"...; NULL if not served. */
json_t *openapi_doc(const char *gv_path);

#endif
