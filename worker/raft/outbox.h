/* outbox.h - messages produced by the core, kept until the driver has taken
 * them from a Ready. Each queued message holds a reference to a block with a
 * deep copy of its entries and snapshot bytes, so nothing it points to
 * changes when the log does; messages carrying the same entries (a broadcast
 * to every follower) share one block. */
#ifndef FJORD_RAFT_OUTBOX_H
#define FJORD_RAFT_OUTBOX_H

#include "raft.h"

/* Queues a copy of *m from this replica: sets from = r->id, and term =
 * r->term when m->term is 0. Entries and snapshot bytes are copied, or the
 * block of a queued message with the same entries is shared. Out of
 * memory the message is dropped and counted (Raft survives lost messages). */
void outbox_send(struct raft *r, const struct raft_message *m);
/* Frees every queued message. */
void outbox_clear(struct raft_outbox *o);
void outbox_close(struct raft_outbox *o);

#endif
