/* catalog.h - the cluster catalog: the state machine of `__controller`.
 *
 * The catalog is what every node must agree on about the cluster: its id,
 * its nodes and their addresses, every topic (name, topic id, partition
 * count, replication factor, per-topic config overrides and the STORED
 * replica assignment of each partition) and the producer-id blocks handed
 * out so far. Its version is the Raft index of the last command applied.
 *
 * Changes are commands (msgpack arrays, built by catalog_cmd_*), proposed to
 * the `__controller` Raft group and applied on every replica in log order by
 * catalog_apply, which is PURE and deterministic: no clock, no randomness
 * (a new topic's id travels inside its command), no I/O, and no state other
 * than the catalog and the command's bytes. Every replica applying the same
 * bytes reaches the same catalog and the same result code. Validation is part
 * of apply, so a command that was valid when proposed but conflicts with one
 * committed before it (two creates of one name) fails the same way everywhere.
 *
 * Placement is decided once, when a topic or partitions are created, by
 * catalog_place (inside apply, over the catalog's registered nodes and their
 * current load) or given explicitly in the command, and then stored: nothing
 * ever recomputes it, so changing the node list moves no replica.
 *
 * catalog_encode / catalog_decode are the snapshot format (also what a
 * controller worker pushes to its supervisor, IPC_CATALOG).
 *
 * Config overrides are stored under fjord's own [topic.NAME] key names
 * (common/config_keys.c: "retention_ms", ...) with the value spelled as in
 * the INI file; a key without an override takes the node's global default.
 * Translating Kafka's names (retention.ms) is the Kafka front end's job. */
#ifndef FJORD_CATALOG_H
#define FJORD_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/config.h"

struct buf;

#define CATALOG_TOPIC "__controller"
#define CATALOG_MAX_NODES 1024
#define CATALOG_MAX_RF 32 /* replicas per partition (WORKER_MAX_REPLICAS) */
#define CATALOG_MAX_PARTITIONS CONFIG_PARTITIONS_MAX
#define CATALOG_MAX_CONFIGS 32
#define CATALOG_KEY_MAX 48
#define CATALOG_VALUE_MAX 64
#define CATALOG_ADDR_MAX (CONFIG_HOST_MAX + 8)
#define CATALOG_MSG_MAX 200
#define CATALOG_PID_BLOCK_MAX 1000000

struct catalog_node {
	int32_t id;
	char kafka[CATALOG_ADDR_MAX]; /* "host:port" as clients reach it */
	char raft[CATALOG_ADDR_MAX];  /* "host:port" of its raft_listen */
};

struct catalog_config {
	char key[CATALOG_KEY_MAX];     /* a [topic.NAME] key of config_keys.c */
	char value[CATALOG_VALUE_MAX]; /* as the INI file spells it */
};

struct catalog_topic {
	char name[CONFIG_TOPIC_NAME_MAX + 1];
	uint8_t id[16];
	int32_t partitions;
	int32_t replication;
	int32_t *replicas; /* owned: partitions * replication node ids, preferred first */
	struct catalog_config configs[CATALOG_MAX_CONFIGS];
	int n_configs;
};

struct catalog {
	uint64_t version; /* Raft index of the last applied command, 0 = empty */
	char cluster_id[32];
	bool adopted;		    /* the INI topics of a pre-catalog cluster were adopted */
	int64_t next_producer_id;   /* first id no block has handed out */
	struct catalog_node *nodes; /* owned, sorted by id */
	int n_nodes;
	struct catalog_topic *topics; /* owned, in creation order */
	int n_topics, cap_topics;
};

/* Commands. */
enum catalog_cmd {
	CATALOG_CMD_CREATE_TOPIC = 1,
	CATALOG_CMD_DELETE_TOPIC = 2,
	CATALOG_CMD_CREATE_PARTITIONS = 3,
	CATALOG_CMD_ALTER_CONFIGS = 4,
	CATALOG_CMD_REGISTER_NODE = 5,
	CATALOG_CMD_ALLOC_PRODUCER_IDS = 6,
	CATALOG_CMD_ADOPT = 7,
};

/* What apply answers: a Kafka error code (common/kafka/kerr.h; 0 = done),
 * a value (ALLOC_PRODUCER_IDS: the block's first id) and a message for
 * the client when there is one. */
struct catalog_result {
	int16_t error;
	int64_t value;
	uint64_t index; /* the command's Raft index (set by its carrier, not by apply) */
	char msg[CATALOG_MSG_MAX];
};

/* One topic as a CREATE_TOPIC or ADOPT command describes it. replicas may
 * be NULL (placement by apply) or hold partitions * replication ids. */
struct catalog_topic_spec {
	const char *name;
	uint8_t id[16];
	int32_t partitions;
	int32_t replication;
	const int32_t *replicas;
	const struct catalog_config *configs;
	int n_configs;
};

/* A config change: value NULL removes the override. */
struct catalog_config_op {
	const char *key;
	const char *value;
};

void catalog_init(struct catalog *c);
void catalog_free(struct catalog *c);
/* Deep copy of src into dst (dst uninitialised). 0 or ERR_NOMEM. */
int catalog_copy(struct catalog *dst, const struct catalog *src);

/* Lookups; borrowed pointers into c, valid until it changes. NULL if absent. */
const struct catalog_topic *catalog_find(const struct catalog *c, const char *name, size_t len);
const struct catalog_topic *catalog_find_id(const struct catalog *c, const uint8_t id[16]);
const struct catalog_node *catalog_node(const struct catalog *c, int32_t id);

/* The replicas of partition p of t (t->replication ids), or NULL when p is
 * out of range. */
const int32_t *catalog_replicas(const struct catalog_topic *t, int32_t p);

/* The override of key in t, or NULL. */
const char *catalog_config_get(const struct catalog_topic *t, const char *key);

/* --- commands (append the msgpack command to out; 0 or ERR_NOMEM) ------ */
int catalog_cmd_create_topic(const struct catalog_topic_spec *t, bool validate_only,
			     struct buf *out);
int catalog_cmd_delete_topic(const char *name, const uint8_t *id, struct buf *out);
int catalog_cmd_create_partitions(const char *name, int32_t total, const int32_t *replicas,
				  int n_new, int rf, bool validate_only, struct buf *out);
int catalog_cmd_alter_configs(const char *name, const struct catalog_config_op *ops, int n,
			      bool replace, bool validate_only, struct buf *out);
int catalog_cmd_register_node(const struct catalog_node *n, struct buf *out);
int catalog_cmd_alloc_producer_ids(int32_t node, int32_t count, struct buf *out);
int catalog_cmd_adopt(const char *cluster_id, const struct catalog_topic_spec *topics, int n,
		      struct buf *out);

/* The type of a command (enum catalog_cmd) or ERR_INVALID. */
int catalog_cmd_type(const uint8_t *cmd, size_t len);

/* Applies one committed command at Raft index `index` (> c->version) and
 * sets c->version = index whatever the outcome. *res says what happened;
 * a failed command changes nothing else. Returns 0, or ERR_NOMEM (the
 * catalog is then unchanged except possibly partially: the caller must
 * stop and replay, which a worker does by exiting). Malformed bytes are a
 * result (INVALID_REQUEST), not an error. */
int catalog_apply(struct catalog *c, uint64_t index, const uint8_t *cmd, size_t len,
		  struct catalog_result *res);

/* Checks a config override: a [topic.NAME] key of config_keys.c other
 * than partitions and replication, and a value its parser accepts. Returns
 * KERR_NONE or KERR_INVALID_CONFIG with why filled. */
int16_t catalog_config_check(const char *key, const char *value, char *why, size_t why_len);

/* Balanced placement for partitions first..first+n-1 of topic `name` with
 * rf replicas each, over c's nodes, counting the replicas and preferred
 * leaders the catalog already stores (and those placed by this call):
 * each partition's leader is the node with the fewest preferred leaders
 * (then fewest replicas), its followers the nodes with the fewest replicas
 * after it on the ring. Writes n * rf ids into out. Returns 0, or
 * ERR_INVALID when rf < 1 or rf > c->n_nodes, ERR_NOMEM. */
int catalog_place(const struct catalog *c, const char *name, int32_t first, int32_t n, int rf,
		  int32_t *out);

/* Snapshot: the whole catalog as msgpack. 0 or ERR_NOMEM. */
int catalog_encode(const struct catalog *c, struct buf *out);
/* Decodes a snapshot into c (initialised; previous content freed on
 * success, left alone on failure). 0, ERR_INVALID or ERR_NOMEM. */
int catalog_decode(struct catalog *c, const uint8_t *data, size_t len);

/* Topic id as Kafka prints it (22 characters of URL-safe base64 without
 * padding) into out (>= 23 bytes). */
void catalog_id_str(const uint8_t id[16], char *out, size_t out_len);

#endif
