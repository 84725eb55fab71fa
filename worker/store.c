/* store.c - the LMDB environment of one partition replica (see store.h).
 *
 * Durability: with sync the environment is opened MDB_NOMETASYNC, so a commit
 * flushes the data pages before it writes the meta page, and store_txn_commit
 * then flushes the meta page with mdb_env_sync. A crash at any point leaves
 * either the previous or the new transaction, never a torn one. (MDB_NOSYNC
 * plus one later sync would save a flush, but a power loss between the two
 * could leave a meta page pointing at unwritten pages.) Without sync the
 * environment is MDB_NOSYNC: a killed process loses nothing, since the pages
 * are in the OS cache, while a power loss may lose or damage recent commits;
 * that mode leaves durability to replication.
 *
 * A small in-memory view (last index, hard state, log start, applied) is kept
 * for the open batch and for the last commit, so the common reads need no
 * transaction and an aborted batch rolls back by copying one struct. */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "common/arena.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"

#define LOG_VALUE_HEADER 9 /* term u64 + kind u8 */
#define FORMAT_VERSION 1

static const char KEY_VERSION[] = "version";
static const char KEY_HARD_STATE[] = "hard_state";
static const char KEY_LOG_START[] = "log_start";
static const char KEY_APPLIED[] = "applied";
static const char SNAP_PREFIX[] = "snap/";

struct view {
	uint64_t last_index;
	struct store_hard_state hs;
	struct store_log_start ls;
	uint64_t applied;
	uint64_t row_index; /* entry of the last offsets row; 0 = none known */
	int64_t last_base;  /* base offset of the last data entry, -1 = unknown */
};

struct store {
	MDB_env *env;
	MDB_dbi log, offsets, meta;
	bool sync;
	store_key_fn key; /* NULL: an offsets row for every data entry */
	size_t map_size;  /* the configured size; deletes may briefly exceed it */
	MDB_txn *rtxn;	  /* reused read transaction: reset between uses */
	int rdepth;	  /* nested read users of rtxn */
	MDB_txn *wtxn;	  /* the open write transaction, or NULL */
	bool in_batch;	  /* between store_txn_begin and commit/abort */
	int batch_err;	  /* first error of the open batch; its txn is gone */
	struct view cur;  /* as of the open batch (== committed without one) */
	struct view committed;
	bool fs_full_logged; /* since the last commit that got through */
	int fd;		     /* the data file (LMDB's) */
	off_t written_end;   /* the data file's size: every block below is written */
	off_t last_used;     /* LMDB's pages in bytes after the last commit */
};

/* Translates an LMDB or errno code to ERR_*. Unexpected ones are logged here
 * because the code itself is lost past this point. */
static int xlate(int rc, const char *what)
{
	switch (rc) {
	case 0:
		return 0;
	case MDB_NOTFOUND:
		return ERR_NOTFOUND;
	case MDB_MAP_FULL:
	case ENOSPC:
	case EDQUOT:
		return ERR_NOSPACE;
	case ENOMEM:
		return ERR_NOMEM;
	case MDB_TXN_FULL:
		return ERR_TOOBIG;
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
	case MDB_INVALID:
	case MDB_VERSION_MISMATCH:
	case MDB_BAD_VALSIZE:
		log_error("store: %s: %s", what, mdb_strerror(rc));
		return ERR_CORRUPT;
	default:
		log_error("store: %s: %s", what, mdb_strerror(rc));
		return ERR_IO;
	}
}

/* LMDB reports a write the kernel cut short as EIO ("which error code?"
 * says its source), and a filesystem that runs out of room mid-write cuts
 * it short: ENOSPC is then never seen. A write that fails with EIO while
 * the filesystem under the store has less than this left is "no space":
 * wait and retry, as for a full map. A real I/O error on a filesystem
 * with room stays ERR_IO (the worker restarts). */
#define STORE_FS_FULL_MARGIN ((uint64_t)4 << 20)

static bool fs_full_at(const char *path)
{
	struct statvfs v;
	if (statvfs(path, &v) != 0)
		return false;
	return (uint64_t)v.f_bavail * v.f_frsize < STORE_FS_FULL_MARGIN;
}

static bool fs_full(struct store *s)
{
	const char *path;
	return mdb_env_get_path(s->env, &path) == 0 && fs_full_at(path);
}

/* xlate for the result of a write to the file (a commit). */
static int xlate_write(struct store *s, int rc, const char *what)
{
	if (rc == EIO && fs_full(s)) {
		if (!s->fs_full_logged)
			log_warn("store: %s: short write on a full filesystem: "
				 "waiting for room",
				 what);
		s->fs_full_logged = true;
		return ERR_NOSPACE;
	}
	return xlate(rc, what);
}

static MDB_val val(const void *p, size_t n)
{
	return (MDB_val){.mv_size = n, .mv_data = (void *)p};
}

static MDB_val key_str(const char *s) { return val(s, strlen(s)); }

/* --- transactions ------------------------------------------------------- */

static int rd_begin(struct store *s, MDB_txn **t)
{
	if (s->wtxn) {
		*t = s->wtxn;
		return 0;
	}
	if (s->rdepth == 0) {
		int rc = mdb_txn_renew(s->rtxn);
		if (rc != 0)
			return xlate(rc, "renew read txn");
	}
	s->rdepth++;
	*t = s->rtxn;
	return 0;
}

static void rd_end(struct store *s, MDB_txn *t)
{
	if (t != s->rtxn)
		return;
	if (--s->rdepth == 0)
		mdb_txn_reset(s->rtxn);
}

/* rd_begin plus a cursor on db; on success the caller closes the cursor and
 * calls rd_end. */
static int rd_cursor(struct store *s, MDB_dbi db, MDB_txn **t, MDB_cursor **c)
{
	int rc = rd_begin(s, t);
	if (rc != 0)
		return rc;
	rc = mdb_cursor_open(*t, db, c);
	if (rc != 0) {
		rd_end(s, *t);
		return xlate(rc, "cursor");
	}
	return 0;
}

/* Ends a failed batch: aborts its txn, rolls the view back and remembers the
 * error for the rest of the batch. Returns err. */
static int batch_fail(struct store *s, int err)
{
	if (s->wtxn) {
		mdb_txn_abort(s->wtxn);
		s->wtxn = NULL;
	}
	s->cur = s->committed;
	if (s->in_batch)
		s->batch_err = err;
	return err;
}

int store_txn_begin(struct store *s)
{
	if (s->in_batch)
		return ERR_INVALID;
	int rc = mdb_txn_begin(s->env, NULL, 0, &s->wtxn);
	if (rc != 0) {
		s->wtxn = NULL;
		return xlate(rc, "begin write txn");
	}
	s->in_batch = true;
	s->batch_err = 0;
	s->cur = s->committed;
	return 0;
}

/* LMDB's pages in use, in bytes: up to its last page. 0 or an LMDB code. */
static int used_bytes(struct store *s, uint64_t *out)
{
	MDB_envinfo info;
	MDB_stat st;
	int rc = mdb_env_info(s->env, &info);
	if (rc == 0)
		rc = mdb_env_stat(s->env, &st);
	if (rc == 0)
		*out = ((uint64_t)info.me_last_pgno + 1) * st.ms_psize;
	return rc;
}

/* How far past LMDB's last page the data file is kept written, in what
 * steps it grows, and above what growth per commit it is not. */
#define AHEAD_MIN (128 << 10)
#define AHEAD_STEP (512 << 10)
#define AHEAD_BIG_COMMIT (64 << 10)

/* Keeps the data file written with zeros ahead of LMDB's last page, so a
 * commit overwrites blocks that exist. LMDB grows the file a few pages per
 * commit otherwise, and then every fsync also writes the inode and the
 * file system's allocation blocks: measured here, one page appended and
 * fsynced costs 3 device writes and 8 KiB, one page overwritten 2 and
 * 4 KiB. fallocate would not do: ext4 converts its unwritten extents on
 * the first write, which costs the same. Only bytes past the file's end
 * are written, where LMDB has nothing (past its last page, outside a write
 * transaction); the writeback starts at once (sync_file_range) so the next
 * commit's fsync finds it mostly done. A failure is harmless: LMDB then
 * grows the file as before. Only with sync: without it nothing is fsynced.
 *
 * Not after a commit that grew LMDB by more than AHEAD_BIG_COMMIT: the
 * zeros write every byte of the file twice, and a stream of big commits
 * (full speed) is bound by the disk's bandwidth, not by its operations;
 * there a few more blocks per fsync cost less than the doubled bytes
 * (1 KiB records at full speed, 3 nodes: 91-111K records/s with the zeros
 * after every commit, 118-133K without, 109-131K with this rule). */
static void keep_ahead(struct store *s)
{
	static const uint8_t zeros[64 << 10];
	uint64_t in_use;
	if (used_bytes(s, &in_use) != 0)
		return;
	off_t used = (off_t)in_use;
	off_t grew = s->last_used ? used - s->last_used : 0;
	s->last_used = used;
	if (grew > AHEAD_BIG_COMMIT || s->written_end >= used + AHEAD_MIN ||
	    s->written_end >= (off_t)s->map_size)
		return;
	off_t from = s->written_end > used ? s->written_end : used;
	off_t to = used + AHEAD_STEP;
	if (to > (off_t)s->map_size)
		to = (off_t)s->map_size;
	for (off_t at = from; at < to;) {
		size_t n = to - at < (off_t)sizeof(zeros) ? (size_t)(to - at) : sizeof(zeros);
		ssize_t w = pwrite(s->fd, zeros, n, at);
		if (w <= 0)
			return;
		at += w;
		s->written_end = at;
	}
	(void)sync_file_range(s->fd, from, to - from, SYNC_FILE_RANGE_WRITE);
}

int store_txn_commit(struct store *s)
{
	if (!s->in_batch)
		return ERR_INVALID;
	s->in_batch = false;
	if (s->batch_err) {
		int err = s->batch_err;
		s->batch_err = 0;
		return err;
	}
	int rc = mdb_txn_commit(s->wtxn); /* frees the txn even when it fails */
	s->wtxn = NULL;
	if (rc != 0) {
		s->cur = s->committed;
		return xlate_write(s, rc, "commit");
	}
	s->committed = s->cur;
	s->fs_full_logged = false;
	if (s->sync) {
		rc = mdb_env_sync(s->env, 1);
		if (rc != 0) {
			log_error("store: fsync after commit: %s", mdb_strerror(rc));
			return ERR_IO;
		}
		keep_ahead(s);
	}
	return 0;
}

void store_txn_abort(struct store *s)
{
	if (!s->in_batch)
		return;
	if (s->wtxn)
		mdb_txn_abort(s->wtxn);
	s->wtxn = NULL;
	s->in_batch = false;
	s->batch_err = 0;
	s->cur = s->committed;
}

bool store_in_txn(const struct store *s) { return s->in_batch; }

/* Every mutating call brackets its work with these: inside a batch it joins
 * it (or returns the batch's error), outside it runs its own batch. */
static int w_enter(struct store *s, bool *own)
{
	*own = !s->in_batch;
	if (*own)
		return store_txn_begin(s);
	return s->batch_err;
}

static int w_leave(struct store *s, bool own, int err)
{
	if (err != 0) {
		batch_fail(s, err);
		if (own)
			store_txn_abort(s);
		return err;
	}
	return own ? store_txn_commit(s) : 0;
}

/* --- meta --------------------------------------------------------------- */

static int meta_put(struct store *s, const char *key, const void *p, size_t n)
{
	MDB_val k = key_str(key), v = val(p, n);
	return xlate(mdb_put(s->wtxn, s->meta, &k, &v, 0), "put meta");
}

static int put_hard_state(struct store *s, const struct store_hard_state *hs)
{
	uint8_t b[24];
	be64_store(b, hs->term);
	be64_store(b + 8, hs->vote);
	be64_store(b + 16, hs->commit);
	return meta_put(s, KEY_HARD_STATE, b, sizeof(b));
}

static int put_log_start(struct store *s, const struct store_log_start *ls)
{
	uint8_t b[24];
	be64_store(b, ls->index);
	be64_store(b + 8, ls->term);
	be64_store(b + 16, (uint64_t)ls->kafka_offset);
	return meta_put(s, KEY_LOG_START, b, sizeof(b));
}

/* Reads a fixed-size meta value into b; missing keys leave b zeroed. */
static int meta_get_fixed(struct store *s, MDB_txn *t, const char *key, uint8_t *b, size_t n)
{
	MDB_val k = key_str(key), v;
	memset(b, 0, n);
	int rc = mdb_get(t, s->meta, &k, &v);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc != 0)
		return xlate(rc, "get meta");
	if (v.mv_size != n) {
		log_error("store: meta %s has %zu bytes, want %zu", key, v.mv_size, n);
		return ERR_CORRUPT;
	}
	memcpy(b, v.mv_data, n);
	return 0;
}

static int with_reserve(struct store *s, int (*op)(struct store *, const void *), const void *arg,
			bool frees);

static int hard_state_op(struct store *s, const void *p)
{
	const struct store_hard_state *hs = p;
	bool own;
	int rc = w_enter(s, &own);
	if (rc != 0)
		return rc;
	rc = put_hard_state(s, hs);
	if (rc == 0)
		s->cur.hs = *hs;
	return w_leave(s, own, rc);
}

int store_set_hard_state(struct store *s, const struct store_hard_state *hs)
{
	return with_reserve(s, hard_state_op, hs, false);
}

int store_set_applied(struct store *s, uint64_t index)
{
	bool own;
	int rc = w_enter(s, &own);
	if (rc != 0)
		return rc;
	uint8_t b[8];
	be64_store(b, index);
	rc = meta_put(s, KEY_APPLIED, b, sizeof(b));
	if (rc == 0)
		s->cur.applied = index;
	return w_leave(s, own, rc);
}

static int snap_key(const char *name, char *key, size_t cap)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n > 64 || sizeof(SNAP_PREFIX) - 1 + n + 1 > cap)
		return ERR_INVALID;
	memcpy(key, SNAP_PREFIX, sizeof(SNAP_PREFIX) - 1);
	memcpy(key + sizeof(SNAP_PREFIX) - 1, name, n + 1);
	return 0;
}

int store_put_snapshot(struct store *s, const char *name, const void *data, size_t len)
{
	char key[80];
	if (snap_key(name, key, sizeof(key)) != 0)
		return ERR_INVALID;
	bool own;
	int rc = w_enter(s, &own);
	if (rc != 0)
		return rc;
	rc = meta_put(s, key, data, len);
	return w_leave(s, own, rc);
}

int store_get_snapshot(struct store *s, const char *name, struct buf *out)
{
	char key[80];
	if (snap_key(name, key, sizeof(key)) != 0)
		return ERR_INVALID;
	MDB_txn *t = NULL;
	int rc = rd_begin(s, &t);
	if (rc != 0)
		return rc;
	MDB_val k = key_str(key), v;
	rc = mdb_get(t, s->meta, &k, &v);
	if (rc == 0) {
		buf_reset(out);
		buf_put(out, v.mv_data, v.mv_size);
		rc = out->oom ? ERR_NOMEM : 0;
	} else {
		rc = xlate(rc, "get snapshot");
	}
	rd_end(s, t);
	return rc;
}

void store_hard_state(const struct store *s, struct store_hard_state *hs) { *hs = s->cur.hs; }
void store_log_start(const struct store *s, struct store_log_start *ls) { *ls = s->cur.ls; }
uint64_t store_applied(const struct store *s) { return s->cur.applied; }
uint64_t store_first_index(const struct store *s) { return s->cur.ls.index + 1; }
uint64_t store_last_index(const struct store *s) { return s->cur.last_index; }

/* --- log ---------------------------------------------------------------- */

static int log_term_in(struct store *s, MDB_txn *t, uint64_t index, uint64_t *term)
{
	uint8_t kb[8];
	be64_store(kb, index);
	MDB_val k = val(kb, 8), v;
	int rc = mdb_get(t, s->log, &k, &v);
	if (rc == MDB_NOTFOUND) {
		log_error("store: entry %llu missing inside the log", (unsigned long long)index);
		return ERR_CORRUPT;
	}
	if (rc != 0)
		return xlate(rc, "get entry");
	if (v.mv_size < LOG_VALUE_HEADER)
		return ERR_CORRUPT;
	*term = be64_load(v.mv_data);
	return 0;
}

int store_term(struct store *s, uint64_t index, uint64_t *term)
{
	if (index < s->cur.ls.index)
		return ERR_COMPACTED;
	if (index > s->cur.last_index)
		return ERR_UNAVAILABLE;
	if (index == s->cur.ls.index) {
		*term = s->cur.ls.term;
		return 0;
	}
	MDB_txn *t = NULL;
	int rc = rd_begin(s, &t);
	if (rc != 0)
		return rc;
	rc = log_term_in(s, t, index, term);
	rd_end(s, t);
	return rc;
}

/* Deletes rows from one end of `db` while the Raft index they name lies
 * beyond `bound`: from the back while index >= bound, or from the front while
 * index <= bound. The index is the key in `log` and the value in `offsets`;
 * both grow together, so the rows to delete are always a contiguous end. */
static int delete_end(struct store *s, MDB_dbi db, bool index_in_key, bool from_front,
		      uint64_t bound, const char *what)
{
	MDB_cursor *c;
	MDB_val k, v;
	MDB_cursor_op end = from_front ? MDB_FIRST : MDB_LAST;
	int rc = mdb_cursor_open(s->wtxn, db, &c);
	if (rc != 0)
		return xlate(rc, "cursor");
	for (rc = mdb_cursor_get(c, &k, &v, end); rc == 0; rc = mdb_cursor_get(c, &k, &v, end)) {
		const MDB_val *idx = index_in_key ? &k : &v;
		if (idx->mv_size != 8)
			break;
		uint64_t i = be64_load(idx->mv_data);
		if (from_front ? i > bound : i < bound)
			break;
		rc = mdb_cursor_del(c, 0);
		if (rc != 0)
			break;
	}
	mdb_cursor_close(c);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return xlate(rc, what);
	return 0;
}

static int load_last_base(struct store *s);

/* Deletes log rows with index >= from and the offsets rows pointing at them. */
static int truncate_from(struct store *s, uint64_t from)
{
	int rc = delete_end(s, s->offsets, false, false, from, "truncate offsets");
	if (rc == 0)
		rc = delete_end(s, s->log, true, false, from, "truncate log");
	if (rc != 0)
		return rc;
	s->cur.last_index = from - 1;
	if (s->cur.row_index >= from)
		s->cur.row_index = 0; /* the next data entry gets a row */
	return load_last_base(s);
}

static int put_entry(struct store *s, const struct store_entry *e)
{
	uint8_t kb[8];
	be64_store(kb, e->index);
	MDB_val k = val(kb, 8);
	MDB_val v = val(NULL, LOG_VALUE_HEADER + e->len);
	/* MDB_RESERVE: LMDB hands out the space and we copy once into it.
	 * MDB_APPEND: keys only grow here, which skips the page search. */
	int rc = mdb_put(s->wtxn, s->log, &k, &v, MDB_RESERVE | MDB_APPEND);
	if (rc != 0)
		return rc == MDB_KEYEXIST ? ERR_INVALID : xlate(rc, "put entry");
	uint8_t *d = v.mv_data;
	be64_store(d, e->term);
	d[8] = e->kind;
	if (e->len > 0)
		memcpy(d + LOG_VALUE_HEADER, e->data, e->len);
	if (e->base_offset >= 0 && e->base_offset <= s->cur.last_base) {
		log_error("store: base offset %lld of entry %llu does not increase",
			  (long long)e->base_offset, (unsigned long long)e->index);
		return ERR_INVALID;
	}
	if (e->base_offset >= 0)
		s->cur.last_base = e->base_offset;
	bool row = e->base_offset >= 0 && (s->key == NULL || s->cur.row_index == 0 ||
					   e->index - s->cur.row_index >= STORE_OFFSETS_EVERY);
	if (row) {
		uint8_t ob[8], ib[8];
		be64_store(ob, (uint64_t)e->base_offset);
		be64_store(ib, e->index);
		MDB_val ok = val(ob, 8), ov = val(ib, 8);
		/* MDB_APPEND: rows grow with last_base, checked above. */
		rc = mdb_put(s->wtxn, s->offsets, &ok, &ov, MDB_APPEND);
		if (rc != 0)
			return xlate(rc, "put offset");
		s->cur.row_index = e->index;
	}
	s->cur.last_index = e->index;
	return 0;
}

static int append_in_txn(struct store *s, const struct store_entry *e, size_t n)
{
	if (n == 0)
		return ERR_INVALID;
	for (size_t i = 1; i < n; i++)
		if (e[i].index != e[0].index + i)
			return ERR_INVALID;
	size_t i = 0;
	while (i < n && e[i].index <= s->cur.ls.index)
		i++; /* compacted, hence committed and equal */
	if (i == n)
		return 0;
	if (e[i].index > s->cur.last_index + 1)
		return ERR_INVALID;
	/* Skip the prefix that is already there with the same term. */
	for (; i < n && e[i].index <= s->cur.last_index; i++) {
		uint64_t term;
		int rc = log_term_in(s, s->wtxn, e[i].index, &term);
		if (rc != 0)
			return rc;
		if (term != e[i].term) {
			rc = truncate_from(s, e[i].index);
			if (rc != 0)
				return rc;
			break;
		}
	}
	for (; i < n; i++) {
		int rc = put_entry(s, &e[i]);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int store_append(struct store *s, const struct store_entry *entries, size_t n)
{
	bool own;
	int rc = w_enter(s, &own);
	if (rc != 0)
		return rc;
	return w_leave(s, own, append_in_txn(s, entries, n));
}

/* Deletes log rows first..upto and offsets rows pointing at them. */
static int delete_prefix(struct store *s, uint64_t upto)
{
	int rc = delete_end(s, s->offsets, false, true, upto, "compact offsets");
	if (rc == 0)
		rc = delete_end(s, s->log, true, true, upto, "compact log");
	return rc;
}

/* Runs a deleting operation. LMDB copies pages on write, so even a delete
 * needs free pages, and with the map full it fails like an append: the very
 * operation that would make room. When such an operation runs in its own
 * transaction and hits a full map, it is retried once with the map grown by a
 * reserve, then the map size is set back (LMDB keeps it at least as large as
 * the data). The file can so exceed the configured size by the reserve at
 * most, and retention always gets to free space.
 *
 * LMDB keeps the pages freed by transaction N for the snapshot of N-1 until
 * N+1 has committed; a tiny second transaction right after the delete makes
 * the freed space usable by the very next batch.
 *
 * The hard state goes through here too: a worker restarting on a full store
 * must still be able to start its term, or it could never run retention. */
static int with_reserve(struct store *s, int (*op)(struct store *, const void *), const void *arg,
			bool frees)
{
	if (s->in_batch)
		return op(s, arg);
	int rc = op(s, arg);
	bool grown = false;
	if (rc == ERR_NOSPACE) {
		size_t reserve = s->map_size / 64;
		if (reserve < ((size_t)1 << 20))
			reserve = (size_t)1 << 20;
		if (mdb_env_set_mapsize(s->env, s->map_size + reserve) != 0)
			return rc;
		grown = true;
		rc = op(s, arg);
	}
	if (rc == 0 && frees)
		rc = store_set_applied(s, s->committed.applied);
	if (grown)
		mdb_env_set_mapsize(s->env, s->map_size);
	return rc;
}

struct compact_arg {
	uint64_t upto;
	int64_t kafka_offset;
	const char *snap_name; /* NULL: no snapshot to save with it */
	const void *snap;
	size_t snap_len;
};

static int compact_op(struct store *s, const void *p)
{
	const struct compact_arg *a = p;
	uint64_t upto = a->upto;
	int64_t kafka_offset = a->kafka_offset;
	if (upto <= s->cur.ls.index)
		return 0;
	if (upto > s->cur.last_index)
		return ERR_UNAVAILABLE;
	if (kafka_offset < s->cur.ls.kafka_offset)
		return ERR_INVALID;
	bool own;
	int rc = w_enter(s, &own);
	if (rc != 0)
		return rc;
	struct store_log_start ls = {.index = upto, .kafka_offset = kafka_offset};
	rc = log_term_in(s, s->wtxn, upto, &ls.term);
	if (rc == 0)
		rc = delete_prefix(s, upto);
	if (rc == 0)
		rc = put_log_start(s, &ls);
	if (rc == 0 && a->snap_name) {
		char key[80];
		rc = snap_key(a->snap_name, key, sizeof(key));
		if (rc == 0)
			rc = meta_put(s, key, a->snap, a->snap_len);
	}
	if (rc == 0)
		s->cur.ls = ls;
	return w_leave(s, own, rc);
}

int store_compact(struct store *s, uint64_t upto, int64_t kafka_offset)
{
	struct compact_arg a = {upto, kafka_offset, NULL, NULL, 0};
	return with_reserve(s, compact_op, &a, true);
}

int store_compact_snapshot(struct store *s, uint64_t upto, int64_t kafka_offset, const char *name,
			   const void *data, size_t len)
{
	char key[80];
	if (snap_key(name, key, sizeof(key)) != 0)
		return ERR_INVALID;
	struct compact_arg a = {upto, kafka_offset, name, data, len};
	return with_reserve(s, compact_op, &a, true);
}

static int reset_op(struct store *s, const void *p)
{
	const struct store_log_start *ls = p;
	bool own;
	int rc = w_enter(s, &own);
	if (rc != 0)
		return rc;
	rc = xlate(mdb_drop(s->wtxn, s->log, 0), "drop log");
	if (rc == 0)
		rc = xlate(mdb_drop(s->wtxn, s->offsets, 0), "drop offsets");
	if (rc == 0)
		rc = put_log_start(s, ls);
	if (rc == 0) {
		s->cur.ls = *ls;
		s->cur.last_index = ls->index;
		s->cur.row_index = 0;
		s->cur.last_base = -1;
	}
	return w_leave(s, own, rc);
}

int store_reset(struct store *s, const struct store_log_start *ls)
{
	return with_reserve(s, reset_op, ls, true);
}

/* --- scans -------------------------------------------------------------- */

int store_scan(struct store *s, uint64_t lo, uint64_t hi, store_scan_cb cb, void *ctx)
{
	if (lo < store_first_index(s))
		return ERR_COMPACTED;
	if (lo >= hi || lo > s->cur.last_index)
		return 0;
	MDB_txn *t = NULL;
	MDB_cursor *c;
	int rc = rd_cursor(s, s->log, &t, &c);
	if (rc != 0)
		return rc;
	uint8_t kb[8];
	be64_store(kb, lo);
	MDB_val k = val(kb, 8), v;
	uint64_t want = lo;
	int out = 0;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_KEY); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		uint64_t index = k.mv_size == 8 ? be64_load(k.mv_data) : 0;
		if (index >= hi)
			break;
		if (index != want || v.mv_size < LOG_VALUE_HEADER) {
			log_error("store: log broken at entry %llu", (unsigned long long)want);
			out = ERR_CORRUPT;
			break;
		}
		const uint8_t *d = v.mv_data;
		struct store_entry e = {
		    .index = index,
		    .term = be64_load(d),
		    .kind = d[8],
		    .base_offset = -1,
		    .data = d + LOG_VALUE_HEADER,
		    .len = v.mv_size - LOG_VALUE_HEADER,
		};
		int r = cb(ctx, &e);
		if (r != 0) {
			out = r < 0 ? r : 0;
			break;
		}
		want++;
	}
	if (out == 0 && rc == MDB_NOTFOUND && want == lo) {
		log_error("store: entry %llu missing inside the log", (unsigned long long)lo);
		out = ERR_CORRUPT;
	} else if (out == 0 && rc != 0 && rc != MDB_NOTFOUND) {
		out = xlate(rc, "scan");
	}
	mdb_cursor_close(c);
	rd_end(s, t);
	return out;
}

struct entries_ctx {
	struct arena *a;
	size_t max_bytes;
	size_t bytes;
	struct store_entry *arr;
	size_t n, cap;
};

static int entries_cb(void *p, const struct store_entry *e)
{
	struct entries_ctx *x = p;
	if (x->n > 0 && x->bytes + e->len > x->max_bytes)
		return 1;
	if (x->n == x->cap)
		return 1; /* cannot happen: cap is hi - lo */
	uint8_t *copy = NULL;
	if (e->len > 0) {
		copy = arena_alloc_bytes(x->a, e->len);
		if (copy == NULL)
			return ERR_NOMEM;
		memcpy(copy, e->data, e->len);
	}
	x->arr[x->n] = *e;
	x->arr[x->n].data = copy;
	x->n++;
	x->bytes += e->len;
	return 0;
}

int store_entries(struct store *s, uint64_t lo, uint64_t hi, size_t max_bytes, struct arena *a,
		  struct store_entry **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (lo >= hi)
		return ERR_INVALID;
	if (lo < store_first_index(s))
		return ERR_COMPACTED;
	if (hi > s->cur.last_index + 1)
		return ERR_UNAVAILABLE;
	struct entries_ctx x = {.a = a, .max_bytes = max_bytes, .cap = hi - lo};
	x.arr = arena_calloc(a, x.cap, sizeof(*x.arr));
	if (x.arr == NULL)
		return ERR_NOMEM;
	int rc = store_scan(s, lo, hi, entries_cb, &x);
	if (rc != 0)
		return rc;
	*out = x.arr;
	*n = x.n;
	return 0;
}

/* The last offsets row with base offset <= max_offset and entry index <=
 * upto (rows grow in both): 0 and *base, *index set, MDB_NOTFOUND, or an
 * LMDB error. Lands on the floor of max_offset, then walks back while the
 * index is past upto, which is cheap when upto is near the end. */
static int row_floor(struct store *s, MDB_txn *t, int64_t max_offset, uint64_t upto, int64_t *base,
		     uint64_t *index)
{
	MDB_cursor *c;
	int rc = mdb_cursor_open(t, s->offsets, &c);
	if (rc != 0)
		return rc;
	uint8_t kb[8];
	be64_store(kb, (uint64_t)max_offset);
	MDB_val k = val(kb, 8), v;
	/* SET_RANGE lands on the first key >= target; the floor is that key if
	 * equal, else the one before (or the last key if none is >=). */
	rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	if (rc == 0 && (int64_t)be64_load(k.mv_data) != max_offset)
		rc = mdb_cursor_get(c, &k, &v, MDB_PREV);
	else if (rc == MDB_NOTFOUND)
		rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
	for (; rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_PREV)) {
		if (k.mv_size != 8 || v.mv_size != 8) {
			rc = MDB_CORRUPTED;
			break;
		}
		if (be64_load(v.mv_data) <= upto) {
			*base = (int64_t)be64_load(k.mv_data);
			*index = be64_load(v.mv_data);
			break;
		}
	}
	mdb_cursor_close(c);
	return rc;
}

/* For a sparse index: reads the log from entry `from` to `upto` (both
 * included) for the last data entry whose base offset is <= max_offset,
 * stopping at the first one above it (base offsets grow with the index).
 * Returns 0 with *base and *index set, ERR_NOTFOUND, or an error. */
static int walk_data(struct store *s, MDB_txn *t, uint64_t from, uint64_t upto, int64_t max_offset,
		     int64_t *base, uint64_t *index)
{
	if (from > upto)
		return ERR_NOTFOUND;
	MDB_cursor *c;
	int rc = mdb_cursor_open(t, s->log, &c);
	if (rc != 0)
		return xlate(rc, "cursor");
	uint8_t kb[8];
	be64_store(kb, from);
	MDB_val k = val(kb, 8), v;
	int out = ERR_NOTFOUND;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_KEY); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size != 8 || v.mv_size < LOG_VALUE_HEADER) {
			rc = MDB_CORRUPTED;
			break;
		}
		uint64_t i = be64_load(k.mv_data);
		if (i > upto)
			break;
		const uint8_t *d = v.mv_data;
		int64_t b = s->key(d[8], d + LOG_VALUE_HEADER, v.mv_size - LOG_VALUE_HEADER);
		if (b < 0)
			continue;
		if (b > max_offset)
			break;
		*base = b;
		*index = i;
		out = 0;
	}
	if (rc != 0 && rc != MDB_NOTFOUND)
		out = xlate(rc, "offset walk");
	mdb_cursor_close(c);
	return out;
}

/* The last data entry with base offset <= max_offset and index <= upto: a
 * dense index answers with its row; a sparse one walks the entries from
 * the row (or from the log's first entry, when compaction took the rows
 * below) to upto. */
static int lookup(struct store *s, int64_t max_offset, uint64_t upto, int64_t *base,
		  uint64_t *index)
{
	MDB_txn *t = NULL;
	int rc = rd_begin(s, &t);
	if (rc != 0)
		return rc;
	int64_t rb = -1;
	uint64_t ri = 0;
	rc = row_floor(s, t, max_offset, upto, &rb, &ri);
	if (rc != 0 && rc != MDB_NOTFOUND) {
		rc = xlate(rc, "offsets lookup");
	} else if (s->key == NULL) {
		if (rc == 0) {
			*base = rb;
			*index = ri;
		}
		rc = rc == 0 ? 0 : ERR_NOTFOUND;
	} else {
		uint64_t from = rc == 0 ? ri : store_first_index(s);
		rc = walk_data(s, t, from, upto, max_offset, base, index);
	}
	rd_end(s, t);
	return rc;
}

int store_offset_floor(struct store *s, int64_t kafka_offset, int64_t *base_offset, uint64_t *index)
{
	if (kafka_offset < 0)
		return ERR_NOTFOUND;
	return lookup(s, kafka_offset, UINT64_MAX, base_offset, index);
}

int store_offset_last(struct store *s, uint64_t max_index, int64_t *base_offset, uint64_t *index)
{
	return lookup(s, INT64_MAX, max_index, base_offset, index);
}

int store_size(struct store *s, uint64_t *bytes)
{
	MDB_txn *t = NULL;
	int rc = rd_begin(s, &t);
	if (rc != 0)
		return rc;
	MDB_stat a, b;
	rc = mdb_stat(t, s->log, &a);
	if (rc == 0)
		rc = mdb_stat(t, s->offsets, &b);
	if (rc == 0)
		*bytes = (uint64_t)a.ms_psize *
			 (a.ms_branch_pages + a.ms_leaf_pages + a.ms_overflow_pages +
			  b.ms_branch_pages + b.ms_leaf_pages + b.ms_overflow_pages);
	rd_end(s, t);
	return xlate(rc, "stat");
}

int store_usage(struct store *s, uint64_t *used, uint64_t *map)
{
	int rc = used_bytes(s, used);
	if (rc != 0)
		return xlate(rc, "env info");
	*map = s->map_size;
	return 0;
}

/* --- open/close --------------------------------------------------------- */

/* Sets cur.last_base from the log as it stands (at open, after a
 * truncation), so appends keep checking that base offsets grow. */
static int load_last_base(struct store *s)
{
	int64_t base;
	uint64_t index;
	int rc = store_offset_last(s, UINT64_MAX, &base, &index);
	s->cur.last_base = rc == 0 ? base : -1;
	return rc == ERR_NOTFOUND ? 0 : rc;
}

/* Loads the view from a fresh read and checks that meta and log agree. */
static int load_view(struct store *s)
{
	MDB_txn *t = NULL;
	int rc = rd_begin(s, &t);
	if (rc != 0)
		return rc;
	uint8_t b[24];
	struct view *w = &s->committed;
	memset(w, 0, sizeof(*w));
	rc = meta_get_fixed(s, t, KEY_HARD_STATE, b, 24);
	if (rc != 0)
		goto out;
	w->hs.term = be64_load(b);
	w->hs.vote = be64_load(b + 8);
	w->hs.commit = be64_load(b + 16);
	rc = meta_get_fixed(s, t, KEY_LOG_START, b, 24);
	if (rc != 0)
		goto out;
	w->ls.index = be64_load(b);
	w->ls.term = be64_load(b + 8);
	w->ls.kafka_offset = (int64_t)be64_load(b + 16);
	rc = meta_get_fixed(s, t, KEY_APPLIED, b, 8);
	if (rc != 0)
		goto out;
	w->applied = be64_load(b);

	MDB_cursor *c;
	rc = mdb_cursor_open(t, s->log, &c);
	if (rc != 0) {
		rc = xlate(rc, "cursor");
		goto out;
	}
	MDB_val k, v;
	w->last_index = w->ls.index;
	rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
	if (rc == 0) {
		uint64_t first = be64_load(k.mv_data);
		rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
		if (rc == 0) {
			w->last_index = be64_load(k.mv_data);
			/* Keys are consecutive, so first and count pin the log. */
			if (first != w->ls.index + 1) {
				log_error("store: log starts at %llu, log start says %llu",
					  (unsigned long long)first,
					  (unsigned long long)w->ls.index + 1);
				rc = ERR_CORRUPT;
			}
		} else {
			rc = xlate(rc, "last entry");
		}
	} else if (rc == MDB_NOTFOUND) {
		rc = 0;
	} else {
		rc = xlate(rc, "first entry");
	}
	mdb_cursor_close(c);
out:
	rd_end(s, t);
	s->cur = s->committed;
	return rc;
}

static int init_meta(struct store *s)
{
	MDB_val k = key_str(KEY_VERSION), v;
	int rc = mdb_get(s->wtxn, s->meta, &k, &v);
	if (rc == 0) {
		if (v.mv_size != 4 || be32_load(v.mv_data) != FORMAT_VERSION) {
			log_error("store: unknown format version");
			return ERR_CORRUPT;
		}
		return 0;
	}
	if (rc != MDB_NOTFOUND)
		return xlate(rc, "get version");
	uint8_t b[4];
	be32_store(b, FORMAT_VERSION);
	return meta_put(s, KEY_VERSION, b, 4);
}

/* LMDB writes its lock file through a shared mapping: on a full
 * filesystem the first touch of an unallocated page is a SIGBUS, not an
 * error. Allocating it first turns a full disk at open into ERR_NOSPACE.
 * LMDB takes a larger lock file as room for more readers. */
#define STORE_LOCK_BYTES (64 * 1024)

static int prealloc_lock(const char *dir)
{
	char path[4096];
	if (snprintf(path, sizeof(path), "%s/lock.mdb", dir) >= (int)sizeof(path))
		return 0; /* LMDB reports the path */
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return errno == ENOSPC || errno == EDQUOT ? ERR_NOSPACE : 0;
	int rc = posix_fallocate(fd, 0, STORE_LOCK_BYTES);
	close(fd);
	/* Other failures (no fallocate on this filesystem) are LMDB's to
	 * meet, as before. */
	return rc == ENOSPC || rc == EDQUOT ? ERR_NOSPACE : 0;
}

int store_open(const char *dir, const struct store_options *opt, struct store **out)
{
	struct store *s = calloc(1, sizeof(*s));
	int rc;
	*out = NULL;
	if (s == NULL)
		return ERR_NOMEM;
	s->sync = opt->sync;
	s->key = opt->key;
	s->map_size = opt->map_size ? opt->map_size : STORE_MAP_SIZE_DEFAULT;

	rc = prealloc_lock(dir);
	if (rc != 0) {
		log_error("store: no space for the lock file in %s", dir);
		free(s);
		return rc;
	}
	rc = mdb_env_create(&s->env);
	if (rc != 0) {
		free(s);
		return xlate(rc, "env create");
	}
	mdb_env_set_maxdbs(s->env, 4);
	rc = mdb_env_set_mapsize(s->env, s->map_size);
	if (rc != 0) {
		rc = xlate(rc, "set map size");
		goto fail;
	}
	/* MDB_NOTLS: the reused read txn may be live while the write txn is
	 * open in the same thread. MDB_NORDAHEAD: fetches read recent pages,
	 * readahead would only evict useful cache. */
	unsigned flags = MDB_NOTLS | MDB_NORDAHEAD | (opt->sync ? MDB_NOMETASYNC : MDB_NOSYNC);
	rc = mdb_env_open(s->env, dir, flags, 0644);
	if (rc != 0) {
		log_error("store: open %s: %s", dir, mdb_strerror(rc));
		if (rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH)
			rc = ERR_CORRUPT;
		else if (rc == ENOSPC || rc == EDQUOT || (rc == EIO && fs_full_at(dir)))
			rc = ERR_NOSPACE;
		else
			rc = ERR_IO;
		goto fail;
	}
	int fd;
	if (mdb_env_get_fd(s->env, &fd) != 0 || flock(fd, LOCK_EX | LOCK_NB) != 0) {
		log_error("store: %s is in use by another process", dir);
		rc = ERR_IO;
		goto fail;
	}
	s->fd = fd;
	struct stat fst;
	s->written_end = fstat(fd, &fst) == 0 ? fst.st_size : 0;

	rc = store_txn_begin(s);
	if (rc != 0)
		goto fail;
	int mrc = mdb_dbi_open(s->wtxn, "log", MDB_CREATE, &s->log);
	if (mrc == 0)
		mrc = mdb_dbi_open(s->wtxn, "offsets", MDB_CREATE, &s->offsets);
	if (mrc == 0)
		mrc = mdb_dbi_open(s->wtxn, "meta", MDB_CREATE, &s->meta);
	rc = mrc ? xlate(mrc, "open databases") : init_meta(s);
	if (rc != 0) {
		store_txn_abort(s);
		goto fail;
	}
	rc = store_txn_commit(s);
	if (rc != 0)
		goto fail;

	rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &s->rtxn);
	if (rc != 0) {
		rc = xlate(rc, "begin read txn");
		goto fail;
	}
	mdb_txn_reset(s->rtxn);
	rc = load_view(s);
	if (rc == 0)
		rc = load_last_base(s);
	if (rc != 0)
		goto fail;
	s->committed = s->cur;
	*out = s;
	return 0;
fail:
	if (s->rtxn)
		mdb_txn_abort(s->rtxn);
	mdb_env_close(s->env);
	free(s);
	return rc;
}

int64_t store_base_offset(const struct store *s, uint8_t kind, const uint8_t *data, size_t len)
{
	return s->key ? s->key(kind, data, len) : -1;
}

void store_close(struct store *s)
{
	if (s == NULL)
		return;
	store_txn_abort(s);
	if (s->rtxn)
		mdb_txn_abort(s->rtxn);
	mdb_env_close(s->env);
	free(s);
}
