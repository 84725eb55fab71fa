/* raft_codec.c - msgpack encoding and decoding of Raft messages.
 *
 * Encoding uses msgpack-c's packer. Decoding is a strict reader of the few
 * msgpack forms we write (unsigned ints, arrays, bin) rather than
 * msgpack_unpack: msgpack-c allocates an array's declared size before
 * reading its elements, so a five-byte header could ask for gigabytes. Here
 * every count is checked against the bytes actually left first. */
#include "raft_codec.h"

#include <msgpack.h>
#include <string.h>

#include "common/arena.h"
#include "common/buf.h"
#include "common/err.h"

#define N_FIELDS 13
#define FLAG_REJECT 1u
#define FLAG_FORCE 2u
#define FLAG_QUIESCE 4u /* a build without quiescence drops the message: safe */

static int buf_write_cb(void *data, const uint8_t *p, size_t len)
{
	struct buf *b = data;
	buf_put(b, p, len);
	return b->oom ? -1 : 0;
}

struct sink {
	raft_codec_write_cb write;
	void *ctx;
	int failed;
};

static int sink_cb(void *data, const char *p, size_t len)
{
	struct sink *s = data;
	if (!s->failed && s->write(s->ctx, (const uint8_t *)p, len) != 0)
		s->failed = 1;
	return s->failed ? -1 : 0;
}

static void pk_bin(msgpack_packer *pk, const uint8_t *p, size_t len)
{
	msgpack_pack_bin(pk, len);
	if (len)
		msgpack_pack_bin_body(pk, p, len);
}

int raft_codec_encode(const struct raft_message *m, struct buf *out)
{
	int rc = raft_codec_encode_cb(m, buf_write_cb, out);
	return rc == 0 && out->oom ? ERR_NOMEM : rc;
}

int raft_codec_encode_cb(const struct raft_message *m, raft_codec_write_cb write, void *ctx)
{
	if (m->type < RAFT_MSG_PREVOTE || m->type > RAFT_MSG_TYPE_MAX)
		return ERR_INVALID;
	if (m->snapshot_len > UINT32_MAX || m->n_entries > UINT32_MAX)
		return ERR_INVALID;
	for (size_t i = 0; i < m->n_entries; i++)
		if (m->entries[i].index != m->index + 1 + i || m->entries[i].data_len > UINT32_MAX)
			return ERR_INVALID;
	/* msgpack-c's packer ignores what its callback returns, so a failed
	 * write is remembered by the sink and reported at the end. */
	struct sink s = {write, ctx, 0};
	msgpack_packer pk;
	msgpack_packer_init(&pk, &s, sink_cb);
	msgpack_pack_array(&pk, N_FIELDS);
	msgpack_pack_uint8(&pk, RAFT_CODEC_VERSION);
	msgpack_pack_uint8(&pk, m->type);
	msgpack_pack_uint64(&pk, m->from);
	msgpack_pack_uint64(&pk, m->to);
	msgpack_pack_uint64(&pk, m->term);
	msgpack_pack_uint64(&pk, m->index);
	msgpack_pack_uint64(&pk, m->log_term);
	msgpack_pack_uint64(&pk, m->commit);
	msgpack_pack_uint8(&pk,
			   (uint8_t)((m->reject ? FLAG_REJECT : 0) | (m->force ? FLAG_FORCE : 0) |
				     (m->quiesce ? FLAG_QUIESCE : 0)));
	msgpack_pack_uint64(&pk, m->hint_index);
	msgpack_pack_uint64(&pk, m->hint_term);
	msgpack_pack_array(&pk, m->n_entries);
	for (size_t i = 0; i < m->n_entries; i++) {
		const struct raft_entry *e = &m->entries[i];
		msgpack_pack_array(&pk, 3);
		msgpack_pack_uint64(&pk, e->term);
		msgpack_pack_uint8(&pk, e->kind);
		pk_bin(&pk, e->data, e->data_len);
	}
	pk_bin(&pk, m->snapshot, m->snapshot_len);
	return s.failed ? ERR_NOMEM : 0;
}

/* ---- strict reader: any surprise sets r->err ---- */

static uint64_t rd_uint(struct reader *r)
{
	uint8_t b = reader_u8(r);
	if (r->err)
		return 0;
	if (b <= 0x7f)
		return b;
	switch (b) {
	case 0xcc:
		return reader_u8(r);
	case 0xcd:
		return reader_u16(r);
	case 0xce:
		return reader_u32(r);
	case 0xcf:
		return reader_u64(r);
	}
	r->err = ERR_INVALID;
	return 0;
}

static uint32_t rd_array(struct reader *r)
{
	uint8_t b = reader_u8(r);
	if (r->err)
		return 0;
	if ((b & 0xf0) == 0x90)
		return b & 0x0f;
	if (b == 0xdc)
		return reader_u16(r);
	if (b == 0xdd)
		return reader_u32(r);
	r->err = ERR_INVALID;
	return 0;
}

static const uint8_t *rd_bin(struct reader *r, size_t *len)
{
	uint8_t b = reader_u8(r);
	uint32_t n = 0;
	*len = 0;
	if (r->err)
		return NULL;
	switch (b) {
	case 0xc4:
		n = reader_u8(r);
		break;
	case 0xc5:
		n = reader_u16(r);
		break;
	case 0xc6:
		n = reader_u32(r);
		break;
	default:
		r->err = ERR_INVALID;
		return NULL;
	}
	if (r->err)
		return NULL;
	const uint8_t *p = reader_bytes(r, n);
	if (!p) {
		r->err = ERR_INVALID;
		return NULL;
	}
	*len = n;
	return n ? p : NULL;
}

int raft_codec_decode(const uint8_t *data, size_t len, struct raft_message *out, struct arena *a)
{
	memset(out, 0, sizeof(*out));
	struct reader rd;
	reader_init(&rd, data, len);
	struct reader *r = &rd;
	if (rd_array(r) != N_FIELDS || rd_uint(r) != RAFT_CODEC_VERSION || r->err)
		return ERR_INVALID;
	uint64_t type = rd_uint(r);
	if (type < RAFT_MSG_PREVOTE || type > RAFT_MSG_TYPE_MAX)
		return ERR_INVALID;
	out->type = (uint8_t)type;
	out->from = rd_uint(r);
	out->to = rd_uint(r);
	out->term = rd_uint(r);
	out->index = rd_uint(r);
	out->log_term = rd_uint(r);
	out->commit = rd_uint(r);
	uint64_t flags = rd_uint(r);
	if (flags & ~(uint64_t)(FLAG_REJECT | FLAG_FORCE | FLAG_QUIESCE))
		return ERR_INVALID;
	out->reject = flags & FLAG_REJECT;
	out->force = flags & FLAG_FORCE;
	out->quiesce = flags & FLAG_QUIESCE;
	out->hint_index = rd_uint(r);
	out->hint_term = rd_uint(r);
	uint32_t n = rd_array(r);
	if (r->err)
		return ERR_INVALID;
	/* Each entry takes at least 5 bytes (fixarray, term, kind, bin8 with
	 * its length byte): a count the input cannot hold is a lie. */
	if (n > reader_left(r) / 5)
		return ERR_INVALID;
	if (n && out->index > UINT64_MAX - n)
		return ERR_INVALID;
	if (n) {
		out->entries = arena_calloc(a, n, sizeof(*out->entries));
		if (!out->entries)
			return ERR_NOMEM;
	}
	for (uint32_t i = 0; i < n; i++) {
		struct raft_entry *e = &out->entries[i];
		if (rd_array(r) != 3)
			return ERR_INVALID;
		e->index = out->index + 1 + i;
		e->term = rd_uint(r);
		uint64_t kind = rd_uint(r);
		if (kind > RAFT_ENTRY_COMMAND)
			return ERR_INVALID;
		e->kind = (uint8_t)kind;
		e->data = rd_bin(r, &e->data_len);
		if (r->err)
			return ERR_INVALID;
	}
	out->n_entries = n;
	out->snapshot = rd_bin(r, &out->snapshot_len);
	if (r->err || reader_left(r) != 0)
		return ERR_INVALID;
	return 0;
}
