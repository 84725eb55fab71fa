/* net.c - the simulated network: a priority queue of encoded messages by
 * delivery time, with loss, duplication, random delay (hence reordering)
 * and a [from][to] block matrix for partitions, symmetric or not. A message
 * is dropped if its link is blocked when sent or when due, or if its
 * receiver is down when due. */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "sim.h"
#include "worker/raft_codec.h"

static bool earlier(const struct sim_msg *a, const struct sim_msg *b)
{
	return a->at < b->at || (a->at == b->at && a->tie < b->tie);
}

static void heap_push(struct sim *s, struct sim_msg m)
{
	if (s->heap_n == s->heap_cap) {
		size_t cap = s->heap_cap ? s->heap_cap * 2 : 256;
		struct sim_msg *h = realloc(s->heap, cap * sizeof(*h));
		if (!h)
			sim_fail(s, "sim", "out of memory");
		s->heap = h;
		s->heap_cap = cap;
	}
	size_t i = s->heap_n++;
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (!earlier(&m, &s->heap[p]))
			break;
		s->heap[i] = s->heap[p];
		i = p;
	}
	s->heap[i] = m;
}

static struct sim_msg heap_pop(struct sim *s)
{
	struct sim_msg top = s->heap[0];
	struct sim_msg last = s->heap[--s->heap_n];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= s->heap_n)
			break;
		if (c + 1 < s->heap_n && earlier(&s->heap[c + 1], &s->heap[c]))
			c++;
		if (!earlier(&s->heap[c], &last))
			break;
		s->heap[i] = s->heap[c];
		i = c;
	}
	if (s->heap_n)
		s->heap[i] = last;
	return top;
}

static uint64_t delay(struct sim *s)
{
	if (s->long_delay_pm && sim_chance(s, s->long_delay_pm))
		return (uint64_t)s->max_delay +
		       sim_below(s, (uint64_t)s->election_ticks * 3 * SIM_TICK);
	return (uint64_t)s->min_delay + sim_below(s, (uint64_t)(s->max_delay - s->min_delay + 1));
}

static void enqueue(struct sim *s, int from, int to, const uint8_t *data, size_t len)
{
	struct sim_msg m = {
	    .at = s->now + delay(s), .tie = sim_rand(s), .from = from, .to = to, .len = len};
	m.data = malloc(len);
	if (!m.data)
		sim_fail(s, "sim", "out of memory");
	memcpy(m.data, data, len);
	heap_push(s, m);
}

void net_send(struct sim *s, int from, const struct raft_message *m)
{
	int to = (int)m->to - 1;
	if (to < 0 || to >= s->n || to == from)
		sim_fail(s, "message address", "node %d sent %s to %llu", from + 1,
			 raft_msg_type_name(m->type), (unsigned long long)m->to);
	s->stats.msgs++;
	if (m->type == RAFT_MSG_SNAPSHOT)
		s->stats.snapshots_sent++;
	buf_reset(&s->enc);
	int rc = raft_codec_encode(m, &s->enc);
	if (rc)
		sim_fail(s, "codec", "encoding %s failed: %s", raft_msg_type_name(m->type),
			 err_str(rc));
	if (s->blocked[from][to] || (s->drop_pm && sim_chance(s, s->drop_pm)) ||
	    (s->filter && s->filter(s, from, m))) {
		s->stats.dropped++;
		return;
	}
	enqueue(s, from, to, s->enc.data, s->enc.len);
	if (s->dup_pm && sim_chance(s, s->dup_pm)) {
		s->stats.dups++;
		enqueue(s, from, to, s->enc.data, s->enc.len);
	}
}

static void deliver(struct sim *s, struct sim_msg *m)
{
	struct sim_node *n = &s->nodes[m->to];
	if (s->blocked[m->from][m->to] || !n->up) {
		s->stats.dropped++;
		return;
	}
	struct raft_message msg;
	arena_reset(&s->arena);
	int rc = raft_codec_decode(m->data, m->len, &msg, &s->arena);
	if (rc)
		sim_fail(s, "codec", "decoding a message from node %d failed: %s", m->from + 1,
			 err_str(rc));
	if (s->verbose)
		sim_trace(
		    s, "deliver %s %d->%d term %llu index %llu log_term %llu commit %llu n %zu%s%s",
		    raft_msg_type_name(msg.type), m->from + 1, m->to + 1,
		    (unsigned long long)msg.term, (unsigned long long)msg.index,
		    (unsigned long long)msg.log_term, (unsigned long long)msg.commit, msg.n_entries,
		    msg.reject ? " reject" : "", msg.force ? " force" : "");
	s->stats.steps++;
	rc = raft_driver_step(&n->drv, &msg);
	if (rc && rc != ERR_NOMEM)
		sim_fail(s, "step", "node %d rejected a well-formed %s from %d: %s", m->to + 1,
			 raft_msg_type_name(msg.type), m->from + 1, err_str(rc));
	check_step(s, m->to);
	if (!n->lazy)
		sim_drive(s, m->to);
}

void net_deliver_until(struct sim *s, uint64_t t)
{
	while (s->heap_n && s->heap[0].at < t) {
		struct sim_msg m = heap_pop(s);
		s->now = m.at;
		deliver(s, &m); /* on a failure this one message leaks: fine */
		free(m.data);
	}
}

void net_free(struct sim *s)
{
	for (size_t i = 0; i < s->heap_n; i++)
		free(s->heap[i].data);
	free(s->heap);
	s->heap = NULL;
	s->heap_n = s->heap_cap = 0;
}

void net_isolate(struct sim *s, int i, bool in, bool out)
{
	for (int j = 0; j < s->n; j++) {
		if (j == i)
			continue;
		if (in)
			s->blocked[j][i] = true;
		if (out)
			s->blocked[i][j] = true;
	}
}
