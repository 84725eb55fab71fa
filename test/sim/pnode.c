/* pnode.c - a simulated replica whose state machine is the real data
 * partition (worker/partition_sm.c over worker/partition.c and idem.c),
 * stored in the real LMDB store (worker/store.c, through the driver's real
 * log adapter worker/store_log.c), kept in memory: a tmpfs directory
 * (/dev/shm, else the temporary directory) with sync off. Used by the
 * partition schedules (sim --partition).
 *
 * The checks stay the simulation's: the node's memstore becomes a shadow
 * of what the LMDB store holds (written in the same steps, compacted and
 * reset with it) for the persistence checks, and the state after each
 * applied entry is the partition's own (its checksum and high watermark),
 * compared across replicas; every data entry must start at the high
 * watermark (offsets are contiguous, whoever assigned them). Proposals are
 * record batches given offsets by partition_produce on the leader, as
 * replica.c does; compaction is retention of everything applied. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/kafka/kerr.h"
#include "common/record_batch.h"
#include "pnode.h"
#include "sim.h"
#include "test/unit/batch_builder.h"
#include "worker/idem.h"
#include "worker/partition.h"
#include "worker/partition_sm.h"
#include "worker/store.h"
#include "worker/store_log.h"

struct sim_pnode {
	char dir[512];
	struct store *store;
	struct partition part;
	struct idem idem;
	bool idem_up;
	struct partition_sm psm;
	struct sm sm;
	struct store_log slog;
	bool slog_up;
};

static uint64_t state_of(const struct partition *p)
{
	return check_state_hash(p->log_checksum, (uint64_t)p->high_watermark);
}

int pnode_dir_init(struct sim *s)
{
	const char *roots[] = {"/dev/shm", getenv("TMPDIR"), "/tmp"};
	for (size_t k = 0; k < sizeof(roots) / sizeof(roots[0]); k++) {
		if (roots[k] == NULL)
			continue;
		snprintf(s->pdir, sizeof(s->pdir), "%s/fjord-sim-XXXXXX", roots[k]);
		if (mkdtemp(s->pdir) != NULL)
			return 0;
	}
	s->pdir[0] = 0;
	return ERR_IO;
}

static void rm_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return;
	struct dirent *e;
	char path[1024];
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (e->d_type == DT_DIR)
			rm_dir(path);
		else
			unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

void pnode_dir_free(struct sim *s)
{
	if (s->pdir[0])
		rm_dir(s->pdir);
	s->pdir[0] = 0;
}

/* --- the log: store_log, shadowed and checked ----------------------------- */

static struct log_store real(struct sim_node *nd) { return nd->p->slog.log; }

static int pl_hard_state(void *c, struct raft_hard_state *o)
{
	struct log_store l = real(c);
	return l.ops->hard_state(l.ctx, o);
}

static int pl_first(void *c, uint64_t *o)
{
	struct log_store l = real(c);
	return l.ops->first_index(l.ctx, o);
}

static int pl_last(void *c, uint64_t *o)
{
	struct log_store l = real(c);
	return l.ops->last_index(l.ctx, o);
}

static int pl_term(void *c, uint64_t i, uint64_t *o)
{
	struct log_store l = real(c);
	return l.ops->term(l.ctx, i, o);
}

static int pl_entries(void *c, uint64_t lo, uint64_t hi, size_t max, struct raft_entry *out,
		      size_t *n)
{
	struct log_store l = real(c);
	return l.ops->entries(l.ctx, lo, hi, max, out, n);
}

static void pl_log_start(void *c, uint64_t *index, uint64_t *term)
{
	struct log_store l = real(c);
	l.ops->log_start(l.ctx, index, term);
}

static int pl_begin(void *c)
{
	struct sim_node *nd = c;
	struct sim *s = nd->sim;
	if (s->faults && s->crash_in_ready_pm && sim_chance(s, s->crash_in_ready_pm / 2))
		nd->crash_pending = nd->write_lost = true;
	struct log_store l = real(c);
	return l.ops->begin(l.ctx);
}

static int pl_append(void *c, const struct raft_entry *e, size_t n)
{
	struct sim_node *nd = c;
	struct sim *s = nd->sim;
	if (!nd->write_lost) {
		check_persist(s, nd->slot, e, n);
		if (memstore_append(&nd->store, e, n))
			sim_fail(s, "ready", "node %d: entries from %llu do not extend its log",
				 nd->slot + 1, (unsigned long long)e[0].index);
	}
	struct log_store l = real(c);
	return l.ops->append(l.ctx, e, n);
}

static int pl_set_hard_state(void *c, const struct raft_hard_state *hs)
{
	struct sim_node *nd = c;
	struct sim *s = nd->sim;
	if (!nd->write_lost) {
		if (hs->term < nd->store.hs.term ||
		    (hs->term == nd->store.hs.term && nd->store.hs.vote &&
		     hs->vote != nd->store.hs.vote))
			sim_fail(s, "one vote per term",
				 "node %d: term/vote %llu/%llu -> %llu/%llu", nd->slot + 1,
				 (unsigned long long)nd->store.hs.term,
				 (unsigned long long)nd->store.hs.vote,
				 (unsigned long long)hs->term, (unsigned long long)hs->vote);
		nd->store.hs = *hs;
	}
	struct log_store l = real(c);
	return l.ops->set_hard_state(l.ctx, hs);
}

static int pl_commit(void *c)
{
	struct sim_node *nd = c;
	struct sim *s = nd->sim;
	struct log_store l = real(c);
	if (nd->write_lost) {
		l.ops->abort(l.ctx); /* the crash came first: nothing reached the disk */
		return 0;
	}
	int rc = l.ops->commit(l.ctx);
	if (rc != 0)
		sim_fail(s, "store", "node %d: commit failed: %s", nd->slot + 1, err_str(rc));
	if (!nd->crash_pending && s->faults && s->crash_in_ready_pm &&
	    sim_chance(s, s->crash_in_ready_pm))
		nd->crash_pending = true;
	return 0;
}

static void pl_abort(void *c)
{
	struct log_store l = real(c);
	l.ops->abort(l.ctx);
}

static const struct log_store_ops plog_ops = {
    .hard_state = pl_hard_state,
    .first_index = pl_first,
    .last_index = pl_last,
    .term = pl_term,
    .entries = pl_entries,
    .log_start = pl_log_start,
    .begin = pl_begin,
    .append = pl_append,
    .set_hard_state = pl_set_hard_state,
    .commit = pl_commit,
    .abort = pl_abort,
};

/* --- the state machine: the partition's, checked -------------------------- */

static const struct sm *real_sm(struct sim_node *nd) { return &nd->p->sm; }

static uint64_t ps_applied(void *c)
{
	const struct sm *m = real_sm(c);
	return m->ops->applied(m->ctx);
}

static void ps_proposed(void *c, uint64_t index, const uint8_t *data, size_t len)
{
	const struct sm *m = real_sm(c);
	m->ops->proposed(m->ctx, index, data, len);
}

static int ps_save(void *c)
{
	const struct sm *m = real_sm(c);
	return m->ops->save(m->ctx);
}

static int ps_install_store(void *c, uint64_t index, uint64_t term, const uint8_t *data, size_t len)
{
	struct sim_node *nd = c;
	if (len != PARTITION_SNAPSHOT_LEN)
		sim_fail(nd->sim, "log start", "node %d got %zu state bytes", nd->slot + 1, len);
	struct raft_snapshot snap = {index, term, data, len};
	if (!nd->write_lost) {
		/* The log start's state: everything below it, i.e. the checksum
		 * and high watermark the replicas had at that index. */
		check_install_state(nd->sim, nd->slot, &snap,
				    check_state_hash(be64_load(data + 8), be64_load(data)));
		if (memstore_install(&nd->store, &snap))
			sim_fail(nd->sim, "sim", "memstore install failed");
	}
	const struct sm *m = real_sm(c);
	return m->ops->install_store(m->ctx, index, term, data, len);
}

static void ps_install(void *c, uint64_t index, const uint8_t *data, size_t len)
{
	struct sim_node *nd = c;
	if (nd->crash_pending)
		return;
	const struct sm *m = real_sm(c);
	m->ops->install(m->ctx, index, data, len);
}

static int ps_apply(void *c, const struct sm_entry *e)
{
	struct sim_node *nd = c;
	if (nd->crash_pending)
		return 0;
	struct partition *p = &nd->p->part;
	if (e->kind == STORE_KIND_DATA && e->len >= RB_HEADER_LEN &&
	    record_batch_base_offset(e->data) != p->high_watermark)
		sim_fail(nd->sim, "offsets contiguous",
			 "node %d applies entry %llu at offset %lld, its high watermark is %lld",
			 nd->slot + 1, (unsigned long long)e->index,
			 (long long)record_batch_base_offset(e->data),
			 (long long)p->high_watermark);
	const struct sm *m = real_sm(c);
	int rc = m->ops->apply(m->ctx, e);
	if (rc != 0)
		sim_fail(nd->sim, "apply", "node %d: entry %llu: %s", nd->slot + 1,
			 (unsigned long long)e->index, err_str(rc));
	struct raft_entry re = {e->index, e->term, e->kind, e->data, e->len};
	check_apply_state(nd->sim, nd->slot, &re, state_of(p));
	return 0;
}

static int ps_lead(void *c, uint64_t term)
{
	const struct sm *m = real_sm(c);
	return m->ops->lead(m->ctx, term);
}

static void ps_step_down(void *c)
{
	const struct sm *m = real_sm(c);
	m->ops->step_down(m->ctx);
}

static int ps_snapshot(void *c)
{
	struct sim_node *nd = c;
	if (nd->crash_pending)
		return 0;
	const struct sm *m = real_sm(c);
	return m->ops->snapshot(m->ctx);
}

static void ps_start_state(void *c, const uint8_t **data, size_t *len)
{
	const struct sm *m = real_sm(c);
	m->ops->start_state(m->ctx, data, len);
}

static int ps_read(void *c, int kind, const void *req, void *result)
{
	const struct sm *m = real_sm(c);
	return m->ops->read(m->ctx, kind, req, result);
}

static void ps_status(void *c, struct sm_status *out)
{
	const struct sm *m = real_sm(c);
	m->ops->status(m->ctx, out);
}

static const struct sm_ops psm_ops = {
    .applied = ps_applied,
    .proposed = ps_proposed,
    .save = ps_save,
    .install_store = ps_install_store,
    .install = ps_install,
    .apply = ps_apply,
    .lead = ps_lead,
    .step_down = ps_step_down,
    .snapshot = ps_snapshot,
    .start_state = ps_start_state,
    .read = ps_read,
    .status = ps_status,
};

/* --- life ----------------------------------------------------------------- */

void pnode_open(struct sim *s, int i, struct log_store *log, struct sm *sm)
{
	struct sim_node *nd = &s->nodes[i];
	if (nd->p == NULL) {
		nd->p = calloc(1, sizeof(*nd->p));
		if (nd->p == NULL)
			sim_fail(s, "sim", "out of memory");
		snprintf(nd->p->dir, sizeof(nd->p->dir), "%s/n%d", s->pdir, i + 1);
		if (mkdir(nd->p->dir, 0700) != 0)
			sim_fail(s, "sim", "cannot create %s", nd->p->dir);
	}
	struct sim_pnode *p = nd->p;
	struct store_options so = {
	    .map_size = 64u << 20, .sync = false, .key = partition_entry_key};
	int rc = store_open(p->dir, &so, &p->store);
	if (rc != 0)
		sim_fail(s, "restart", "node %d: store_open: %s", i + 1, err_str(rc));
	struct partition_config pc = {.retention_ms = -1, .retention_bytes = -1};
	rc = partition_recover(&p->part, p->store, &pc);
	if (rc != 0)
		sim_fail(s, "restart", "node %d: partition_recover: %s", i + 1, err_str(rc));
	idem_init(&p->idem, 0, 0);
	p->idem_up = true;
	rc = idem_load(&p->idem, p->store, p->part.commit_index);
	if (rc != 0)
		sim_fail(s, "restart", "node %d: idem_load: %s", i + 1, err_str(rc));
	p->sm = partition_sm_init(&p->psm, &p->part, &p->idem);
	store_log_init(&p->slog, p->store);
	p->slog_up = true;
	/* The simulation's view starts where the partition does. */
	nd->sm_applied = p->part.commit_index;
	nd->sm_hash = state_of(&p->part);
	*log = (struct log_store){&plog_ops, nd};
	*sm = (struct sm){&psm_ops, nd};
}

void pnode_close(struct sim_node *nd)
{
	struct sim_pnode *p = nd->p;
	if (p == NULL)
		return;
	if (p->slog_up)
		store_log_close(&p->slog);
	p->slog_up = false;
	if (p->idem_up)
		idem_close(&p->idem);
	p->idem_up = false;
	store_close(p->store); /* aborts an open batch: a crash loses it */
	p->store = NULL;
}

void pnode_free(struct sim_node *nd)
{
	pnode_close(nd);
	free(nd->p);
	nd->p = NULL;
}

int pnode_propose(struct sim *s, int i, uint64_t *index)
{
	struct sim_node *nd = &s->nodes[i];
	struct partition *p = &nd->p->part;
	struct buf b;
	buf_init(&b);
	char tag[32];
	snprintf(tag, sizeof(tag), "p%llu", (unsigned long long)++s->next_payload);
	tb_simple_batch(&b, 1 + (int)sim_below(s, 4), 1700000000000LL, tag);
	if (b.oom)
		sim_fail(s, "sim", "out of memory");
	int64_t base, next;
	int16_t k =
	    partition_produce(p, b.data, b.len, (int32_t)raft_term(&nd->drv.raft), &base, &next);
	if (k != KERR_NONE)
		sim_fail(s, "propose", "node %d: partition_produce: %d", i + 1, k);
	int rc = raft_driver_propose(&nd->drv, b.data, b.len, index);
	buf_free(&b);
	return rc;
}

void pnode_compact(struct sim *s, int i)
{
	struct sim_node *nd = &s->nodes[i];
	struct sim_pnode *p = nd->p;
	if (!nd->up || nd->crash_pending || store_in_txn(p->store) ||
	    p->part.commit_index < store_first_index(p->store) + 8)
		return;
	/* Retention of everything applied, as retention_bytes = 0 would do. */
	p->part.cfg.retention_bytes = 0;
	bool changed = false;
	int rc = partition_retain(&p->part, 0, &changed);
	p->part.cfg.retention_bytes = -1;
	if (rc != 0)
		sim_fail(s, "retention", "node %d: %s", i + 1, err_str(rc));
	if (!changed)
		return;
	struct store_log_start ls;
	store_log_start(p->store, &ls);
	uint8_t none[1] = {0};
	if (memstore_compact(&nd->store, ls.index, none, 0) != 0)
		sim_fail(s, "sim", "node %d: the shadow log cannot follow retention to %llu", i + 1,
			 (unsigned long long)ls.index);
	s->stats.compactions++;
}
