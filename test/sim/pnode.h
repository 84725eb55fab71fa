/* pnode.h - a simulated replica running the real data partition over the
 * real LMDB store in memory (pnode.c). */
#ifndef FJORD_SIM_PNODE_H
#define FJORD_SIM_PNODE_H

#include <stdint.h>

#include "worker/log_store.h"
#include "worker/sm.h"

struct sim;
struct sim_node;

/* A temporary directory for the run's stores (s->pdir); removed by
 * pnode_dir_free with everything in it. Errors: ERR_IO. */
int pnode_dir_init(struct sim *s);
void pnode_dir_free(struct sim *s);

/* Opens node i's store and partition (creating them the first time) and
 * sets the log and state machine its driver takes. */
void pnode_open(struct sim *s, int i, struct log_store *log, struct sm *sm);
/* Closes them as a crash does (an open batch is lost); pnode_free also
 * forgets the node. */
void pnode_close(struct sim_node *nd);
void pnode_free(struct sim_node *nd);

/* A record batch produced on node i and proposed, as replica.c does. */
int pnode_propose(struct sim *s, int i, uint64_t *index);

/* Retention of everything node i applied (its log start moves). */
void pnode_compact(struct sim *s, int i);

#endif
