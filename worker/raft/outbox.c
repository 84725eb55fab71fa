/* outbox.c - the queue of outbound messages, each a self-contained copy.
 *
 * One allocation per message (a block) holds its entry array, entry data and
 * snapshot bytes, so freeing a message is one release. A block starts with a
 * reference count: the outbox holds one reference until the driver has taken
 * the Ready, and a sender may hold more (raft_block_hold) while a socket
 * buffer refers to the bytes instead of copying them. */
#include "outbox.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* The count sits before the message's memory; the union keeps what follows
 * aligned for the entry array. */
union block_head {
	size_t refs;
	max_align_t align;
};

void *raft_block_new(size_t size)
{
	union block_head *h = malloc(sizeof(*h) + size);
	if (!h)
		return NULL;
	h->refs = 1;
	return h + 1;
}

void raft_block_hold(void *block)
{
	if (block)
		((union block_head *)block - 1)->refs++;
}

void raft_block_release(void *block)
{
	if (!block)
		return;
	union block_head *h = (union block_head *)block - 1;
	if (--h->refs == 0)
		free(h);
}

static bool grow(struct raft_outbox *o)
{
	if (o->n < o->cap)
		return true;
	size_t cap = o->cap ? o->cap * 2 : 16;
	struct raft_message *msgs = realloc(o->msgs, cap * sizeof(*msgs));
	if (!msgs)
		return false;
	o->msgs = msgs;
	void **blocks = realloc(o->blocks, cap * sizeof(*blocks));
	if (!blocks)
		return false;
	o->blocks = blocks;
	o->cap = cap;
	return true;
}

/* How far back a message looks for one carrying the same entries. A
 * broadcast queues one append per follower back to back. */
#define SHARE_LOOKBACK 8

/* A queued message whose entries are m's, whose block m can share: the same
 * count, and index, term, kind and length for each. By the Log Matching
 * Property two entries with the same index and term are the same entry, so
 * equal (index, term) means equal bytes, wherever m's copy came from. Only
 * for messages without snapshot bytes, whose block is entries alone. */
static const struct raft_message *same_entries(const struct raft_outbox *o,
					       const struct raft_message *m)
{
	if (m->n_entries == 0 || m->snapshot_len != 0)
		return NULL;
	size_t stop = o->n > SHARE_LOOKBACK ? o->n - SHARE_LOOKBACK : 0;
	for (size_t k = o->n; k-- > stop;) {
		const struct raft_message *q = &o->msgs[k];
		if (q->n_entries != m->n_entries || q->snapshot_len != 0 || q->block == NULL)
			continue;
		size_t i = 0;
		while (i < m->n_entries && q->entries[i].index == m->entries[i].index &&
		       q->entries[i].term == m->entries[i].term &&
		       q->entries[i].kind == m->entries[i].kind &&
		       q->entries[i].data_len == m->entries[i].data_len)
			i++;
		if (i == m->n_entries)
			return q;
	}
	return NULL;
}

void outbox_send(struct raft *r, const struct raft_message *m)
{
	struct raft_outbox *o = &r->out;
	const struct raft_message *twin = same_entries(o, m);
	if (twin != NULL) {
		/* The same entries to another follower: one copy for both. */
		void *block = twin->block;
		struct raft_entry *ents = twin->entries;
		if (!grow(o)) /* may move o->msgs: twin is not used after this */
			goto drop;
		struct raft_message *c = &o->msgs[o->n];
		*c = *m;
		c->from = r->id;
		if (c->term == 0)
			c->term = r->term;
		c->entries = ents;
		c->snapshot = NULL;
		c->block = block;
		raft_block_hold(block);
		o->blocks[o->n] = block;
		o->n++;
		return;
	}
	size_t size = m->n_entries * sizeof(struct raft_entry) + m->snapshot_len;
	for (size_t i = 0; i < m->n_entries; i++)
		size += m->entries[i].data_len;
	void *block = NULL;
	if (size) {
		block = raft_block_new(size);
		if (!block)
			goto drop;
	}
	if (!grow(o)) {
		raft_block_release(block);
		goto drop;
	}
	struct raft_message *c = &o->msgs[o->n];
	*c = *m;
	c->from = r->id;
	if (c->term == 0)
		c->term = r->term;
	/* Layout: entry array first (alignment), then data, then snapshot. */
	struct raft_entry *ents = block;
	uint8_t *p = (uint8_t *)block + m->n_entries * sizeof(struct raft_entry);
	for (size_t i = 0; i < m->n_entries; i++) {
		ents[i] = m->entries[i];
		if (m->entries[i].data_len) {
			memcpy(p, m->entries[i].data, m->entries[i].data_len);
			ents[i].data = p;
			p += m->entries[i].data_len;
		} else {
			ents[i].data = NULL;
		}
	}
	c->entries = m->n_entries ? ents : NULL;
	if (m->snapshot_len) {
		memcpy(p, m->snapshot, m->snapshot_len);
		c->snapshot = p;
	} else {
		c->snapshot = NULL;
	}
	c->block = block;
	o->blocks[o->n] = block;
	o->n++;
	return;
drop:
	r->counters.dropped_msgs++;
}

void outbox_clear(struct raft_outbox *o)
{
	for (size_t i = 0; i < o->n; i++)
		raft_block_release(o->blocks[i]);
	o->n = 0;
}

void outbox_close(struct raft_outbox *o)
{
	outbox_clear(o);
	free(o->msgs);
	free(o->blocks);
	memset(o, 0, sizeof(*o));
}
