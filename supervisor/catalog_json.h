/* catalog_json.h - GET /v1/catalog: the committed catalog this node
 * follows, as JSON, for fjordctl cluster and fjordctl topic describe.
 *
 *   {"node_id":1,"cluster_id":"...","version":42,"controller":2,
 *    "nodes":[{"id":1,"kafka":"h:p","raft":"h:p"},...],
 *    "controller_voters":[1,2,3],"controller_learners":[4],
 *    "topics":[{"name":"t","id":"<22 chars>","partitions":3,"replication":3,
 *               "configs":{"retention_ms":"3600000"},
 *               "replicas":[[1,2,3],[2,3,1],[3,1,2]]},...]}
 *
 * version is 0 and the lists empty until the first catalog arrives;
 * controller is -1 while no leader of __controller is known. A node in
 * neither controller list reads the catalog from a voter's supervisor. */
#ifndef FJORD_SUP_CATALOG_JSON_H
#define FJORD_SUP_CATALOG_JSON_H

struct sup;
struct buf;

/* Appends the document to out. */
void catalog_json(struct sup *s, struct buf *out);

#endif
