/* The header's cluster field, kept by the shell whatever pane shows: the
 * state of every cluster of the clusters list that is not disabled, as the
 * cluster registry knows it ("cluster demo: ok", "clusters: 1 of 3
 * unreachable"), in the alert colour unless all answer. The reasons are
 * shown where the data is (the Stores pane's title, a store's details). */
#ifndef OPSDECK_UI_CLUSTER_HEADER_H
#define OPSDECK_UI_CLUSTER_HEADER_H

struct app;
struct cluster_header;

struct cluster_header *cluster_header_new(struct app *app);
void cluster_header_free(struct cluster_header *h);

#endif
