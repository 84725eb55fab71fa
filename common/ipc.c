/* ipc.c - msgpack encoding and decoding of the supervisor<->worker messages.
 *
 * Every message is a flat msgpack array: [type, field, field, ...]. Integers
 * are written with the smallest msgpack encoding; byte strings as bin. The
 * decoder checks arity and the kind of every field before using it. */
#include "ipc.h"

#include <msgpack.h>
#include <string.h>

#include "buf.h"
#include "err.h"

static int buf_write_cb(void *data, const char *p, size_t len)
{
	struct buf *b = data;
	buf_put(b, p, len);
	return b->oom ? -1 : 0;
}

static void pk_bin(msgpack_packer *pk, const uint8_t *p, uint32_t len)
{
	msgpack_pack_bin(pk, len);
	msgpack_pack_bin_body(pk, p, len);
}

int ipc_encode(const struct ipc_msg *m, struct buf *out)
{
	msgpack_packer pk;
	msgpack_packer_init(&pk, out, buf_write_cb);

	switch (m->type) {
	case IPC_PRODUCE: {
		const struct ipc_produce *x = &m->u.produce;
		msgpack_pack_array(&pk, 5);
		msgpack_pack_int(&pk, m->type);
		msgpack_pack_uint64(&pk, x->req_id);
		msgpack_pack_int16(&pk, x->acks);
		msgpack_pack_int32(&pk, x->timeout_ms);
		pk_bin(&pk, x->records, x->records_len);
		break;
	}
	case IPC_PRODUCE_RESULT: {
		const struct ipc_produce_result *x = &m->u.produce_result;
		msgpack_pack_array(&pk, 6);
		msgpack_pack_int(&pk, m->type);
		msgpack_pack_uint64(&pk, x->req_id);
		msgpack_pack_int16(&pk, x->error);
		msgpack_pack_int64(&pk, x->base_offset);
		msgpack_pack_int64(&pk, x->log_append_time);
		msgpack_pack_int64(&pk, x->log_start_offset);
		break;
	}
	case IPC_FETCH: {
		const struct ipc_fetch *x = &m->u.fetch;
		msgpack_pack_array(&pk, 8);
		msgpack_pack_int(&pk, m->type);
		msgpack_pack_uint64(&pk, x->req_id);
		msgpack_pack_int64(&pk, x->offset);
		msgpack_pack_int32(&pk, x->max_bytes);
		msgpack_pack_int32(&pk, x->max_wait_ms);
		msgpack_pack_int32(&pk, x->min_bytes);
		msgpack_pack_int8(&pk, x->isolation);
		msgpack_pack_int32(&pk, x->leader_epoch);
		break;
	}
	case IPC_FETCH_RESULT: {
		const struct ipc_fetch_result *x = &m->u.fetch_result;
		msgpack_pack_array(&pk, 7);
		msgpack_pack_int(&pk, m->type);
		msgpack_pack_uint64(&pk, x->req_id);
		msgpack_pack_int16(&pk, x->error);
		msgpack_pack_int64(&pk, x->high_watermark);
		msgpack_pack_int64(&pk, x->last_stable_offset);
		msgpack_pack_int64(&pk, x->log_start_offset);
		pk_bin(&pk, x->records, x->records_len);
		break;
	}
	case IPC_FETCH_CANCEL:
		msgpack_pack_array(&pk, 2);
		msgpack_pack_int(&pk, m->type);
		msgpack_pack_uint64(&pk, m->u.fetch_cancel.req_id);
		break;
	case IPC_LIST_OFFSETS: {
		const struct ipc_list_offsets *x = &m->u.list_offsets;
		msgpack_pack_array(&pk, 5);
		msgpack_pack_int(&pk, m->type);
		msgpack_pack_uint64(&pk, x->req_id);
		msgpack_pack_int64(&pk, x->timestamp);
		msgpack_pack_int8(&pk, x->isolation);
		msgpack_pack_int32(&pk, x->leader_epoch);
		break;
	}
	case IPC_LIST_OFFSETS_RESULT: {
		const struct ipc_list_offsets_result *x = &m->u.list_offsets_result;
		msgpack_pack_array(&pk, 6);
		msgpack_pack_int(&pk, m->type);
		msgpack_pack_uint64(&pk, x->req_id);
		msgpack_pack_int16(&pk, x->error);
		msgpack_pack_int64(&pk, x->timestamp);
		msgpack_pack_int64(&pk, x->offset);
		msgpack_pack_int32(&pk, x->leader_epoch);
		break;
	}
	case IPC_STATUS: {
		const struct ipc_status *x = &m->u.status;
		msgpack_pack_array(&pk, 18);
		msgpack_pack_int(&pk, m->type);
		msgpack_pack_int8(&pk, x->role);
		msgpack_pack_uint64(&pk, x->term);
		msgpack_pack_int32(&pk, x->leader_node);
		msgpack_pack_uint64(&pk, x->commit_index);
		msgpack_pack_int64(&pk, x->high_watermark);
		msgpack_pack_int64(&pk, x->log_start_offset);
		msgpack_pack_uint64(&pk, x->elections);
		msgpack_pack_uint64(&pk, x->leader_changes);
		msgpack_pack_uint64(&pk, x->lower_term_messages);
		msgpack_pack_int64(&pk, x->commit_offset);
		msgpack_pack_uint64(&pk, x->log_checksum);
		msgpack_pack_uint64(&pk, x->last_index);
		msgpack_pack_uint64(&pk, x->match_lag);
		if (x->caught_up)
			msgpack_pack_true(&pk);
		else
			msgpack_pack_false(&pk);
		msgpack_pack_uint64(&pk, x->storage_used_bytes);
		msgpack_pack_uint64(&pk, x->storage_map_bytes);
		if (x->quiesced)
			msgpack_pack_true(&pk);
		else
			msgpack_pack_false(&pk);
		break;
	}
	case IPC_PEER_NODE:
		msgpack_pack_array(&pk, 4);
		msgpack_pack_int(&pk, m->type);
		msgpack_pack_int32(&pk, m->u.peer_node.node);
		if (m->u.peer_node.alive)
			msgpack_pack_true(&pk);
		else
			msgpack_pack_false(&pk);
		if (m->u.peer_node.crashed)
			msgpack_pack_true(&pk);
		else
			msgpack_pack_false(&pk);
		break;
	case IPC_CAMPAIGN:
		msgpack_pack_array(&pk, 1);
		msgpack_pack_int(&pk, m->type);
		break;
	case IPC_TRANSFER:
		msgpack_pack_array(&pk, 2);
		msgpack_pack_int(&pk, m->type);
		msgpack_pack_int32(&pk, m->u.transfer.target_node);
		break;
	case IPC_CONFIG:
		msgpack_pack_array(&pk, 3);
		msgpack_pack_int(&pk, m->type);
		msgpack_pack_bin(&pk, m->u.config.name_len);
		msgpack_pack_bin_body(&pk, m->u.config.name, m->u.config.name_len);
		msgpack_pack_bin(&pk, m->u.config.value_len);
		msgpack_pack_bin_body(&pk, m->u.config.value, m->u.config.value_len);
		break;
	case IPC_EPOCH_END: {
		const struct ipc_epoch_end *x = &m->u.epoch_end;
		msgpack_pack_array(&pk, 4);
		msgpack_pack_int(&pk, m->type);
		msgpack_pack_uint64(&pk, x->req_id);
		msgpack_pack_int32(&pk, x->leader_epoch);
		msgpack_pack_int32(&pk, x->current_leader_epoch);
		break;
	}
	case IPC_EPOCH_END_RESULT: {
		const struct ipc_epoch_end_result *x = &m->u.epoch_end_result;
		msgpack_pack_array(&pk, 5);
		msgpack_pack_int(&pk, m->type);
		msgpack_pack_uint64(&pk, x->req_id);
		msgpack_pack_int16(&pk, x->error);
		msgpack_pack_int32(&pk, x->leader_epoch);
		msgpack_pack_int64(&pk, x->end_offset);
		break;
	}
	case IPC_PRODUCERS:
		msgpack_pack_array(&pk, 2);
		msgpack_pack_int(&pk, m->type);
		msgpack_pack_uint64(&pk, m->u.producers.req_id);
		break;
	case IPC_PRODUCERS_RESULT: {
		const struct ipc_producers_result *x = &m->u.producers_result;
		msgpack_pack_array(&pk, 4);
		msgpack_pack_int(&pk, m->type);
		msgpack_pack_uint64(&pk, x->req_id);
		msgpack_pack_int16(&pk, x->error);
		pk_bin(&pk, x->producers, x->producers_len);
		break;
	}
	default:
		return ERR_INVALID;
	}
	return out->oom ? ERR_NOMEM : 0;
}

/* Field readers: each checks the msgpack kind and the C range. */
struct fields {
	const msgpack_object *o;
	uint32_t n;
	uint32_t i;
	int err;
};

static int64_t f_int(struct fields *f, int64_t lo, int64_t hi)
{
	if (f->err || f->i >= f->n) {
		f->err = ERR_INVALID;
		return 0;
	}
	const msgpack_object *o = &f->o[f->i++];
	int64_t v;
	if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
		if (o->via.u64 > (uint64_t)INT64_MAX) {
			f->err = ERR_INVALID;
			return 0;
		}
		v = (int64_t)o->via.u64;
	} else if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
		v = o->via.i64;
	} else {
		f->err = ERR_INVALID;
		return 0;
	}
	if (v < lo || v > hi) {
		f->err = ERR_INVALID;
		return 0;
	}
	return v;
}

static uint64_t f_u64(struct fields *f)
{
	if (f->err || f->i >= f->n || f->o[f->i].type != MSGPACK_OBJECT_POSITIVE_INTEGER) {
		f->err = ERR_INVALID;
		return 0;
	}
	return f->o[f->i++].via.u64;
}

static const uint8_t *f_bin(struct fields *f, uint32_t *len)
{
	if (f->err || f->i >= f->n || f->o[f->i].type != MSGPACK_OBJECT_BIN) {
		f->err = ERR_INVALID;
		*len = 0;
		return NULL;
	}
	const msgpack_object *o = &f->o[f->i++];
	*len = o->via.bin.size;
	return (const uint8_t *)o->via.bin.ptr;
}

static bool f_bool(struct fields *f)
{
	if (f->err || f->i >= f->n || f->o[f->i].type != MSGPACK_OBJECT_BOOLEAN) {
		f->err = ERR_INVALID;
		return false;
	}
	return f->o[f->i++].via.boolean;
}

#define I8(f) ((int8_t)f_int(f, INT8_MIN, INT8_MAX))
#define I16(f) ((int16_t)f_int(f, INT16_MIN, INT16_MAX))
#define I32(f) ((int32_t)f_int(f, INT32_MIN, INT32_MAX))
#define I64(f) (f_int(f, INT64_MIN, INT64_MAX))

static const uint32_t arity[] = {
    [IPC_PRODUCE] = 5,
    [IPC_PRODUCE_RESULT] = 6,
    [IPC_FETCH] = 8,
    [IPC_FETCH_RESULT] = 7,
    [IPC_FETCH_CANCEL] = 2,
    [IPC_LIST_OFFSETS] = 5,
    [IPC_LIST_OFFSETS_RESULT] = 6,
    [IPC_STATUS] = 18,
    [IPC_CAMPAIGN] = 1,
    [IPC_TRANSFER] = 2,
    [IPC_CONFIG] = 3,
    [IPC_EPOCH_END] = 4,
    [IPC_EPOCH_END_RESULT] = 5,
    [IPC_PRODUCERS] = 2,
    [IPC_PRODUCERS_RESULT] = 4,
    [IPC_PEER_NODE] = 4,
};

int ipc_decode(const uint8_t *data, size_t len, struct ipc_msg *m)
{
	msgpack_zone zone;
	msgpack_object obj;
	size_t off = 0;
	int rc = ERR_INVALID;

	memset(m, 0, sizeof(*m));
	if (!msgpack_zone_init(&zone, 512))
		return ERR_NOMEM;
	if (msgpack_unpack((const char *)data, len, &off, &zone, &obj) != MSGPACK_UNPACK_SUCCESS)
		goto out;
	if (off != len || obj.type != MSGPACK_OBJECT_ARRAY || obj.via.array.size < 1)
		goto out;

	struct fields f = {obj.via.array.ptr, obj.via.array.size, 0, 0};
	int64_t type = f_int(&f, IPC_PRODUCE, IPC_TYPE_MAX);
	if (f.err || f.n != arity[type])
		goto out;
	m->type = (enum ipc_type)type;

	switch (m->type) {
	case IPC_PRODUCE: {
		struct ipc_produce *x = &m->u.produce;
		x->req_id = f_u64(&f);
		x->acks = I16(&f);
		x->timeout_ms = I32(&f);
		x->records = f_bin(&f, &x->records_len);
		break;
	}
	case IPC_PRODUCE_RESULT: {
		struct ipc_produce_result *x = &m->u.produce_result;
		x->req_id = f_u64(&f);
		x->error = I16(&f);
		x->base_offset = I64(&f);
		x->log_append_time = I64(&f);
		x->log_start_offset = I64(&f);
		break;
	}
	case IPC_FETCH: {
		struct ipc_fetch *x = &m->u.fetch;
		x->req_id = f_u64(&f);
		x->offset = I64(&f);
		x->max_bytes = I32(&f);
		x->max_wait_ms = I32(&f);
		x->min_bytes = I32(&f);
		x->isolation = I8(&f);
		x->leader_epoch = I32(&f);
		break;
	}
	case IPC_FETCH_RESULT: {
		struct ipc_fetch_result *x = &m->u.fetch_result;
		x->req_id = f_u64(&f);
		x->error = I16(&f);
		x->high_watermark = I64(&f);
		x->last_stable_offset = I64(&f);
		x->log_start_offset = I64(&f);
		x->records = f_bin(&f, &x->records_len);
		break;
	}
	case IPC_FETCH_CANCEL:
		m->u.fetch_cancel.req_id = f_u64(&f);
		break;
	case IPC_LIST_OFFSETS: {
		struct ipc_list_offsets *x = &m->u.list_offsets;
		x->req_id = f_u64(&f);
		x->timestamp = I64(&f);
		x->isolation = I8(&f);
		x->leader_epoch = I32(&f);
		break;
	}
	case IPC_LIST_OFFSETS_RESULT: {
		struct ipc_list_offsets_result *x = &m->u.list_offsets_result;
		x->req_id = f_u64(&f);
		x->error = I16(&f);
		x->timestamp = I64(&f);
		x->offset = I64(&f);
		x->leader_epoch = I32(&f);
		break;
	}
	case IPC_STATUS: {
		struct ipc_status *x = &m->u.status;
		x->role = I8(&f);
		x->term = f_u64(&f);
		x->leader_node = I32(&f);
		x->commit_index = f_u64(&f);
		x->high_watermark = I64(&f);
		x->log_start_offset = I64(&f);
		x->elections = f_u64(&f);
		x->leader_changes = f_u64(&f);
		x->lower_term_messages = f_u64(&f);
		x->commit_offset = I64(&f);
		x->log_checksum = f_u64(&f);
		x->last_index = f_u64(&f);
		x->match_lag = f_u64(&f);
		x->caught_up = f_bool(&f);
		x->storage_used_bytes = f_u64(&f);
		x->storage_map_bytes = f_u64(&f);
		x->quiesced = f_bool(&f);
		break;
	}
	case IPC_PEER_NODE:
		m->u.peer_node.node = I32(&f);
		m->u.peer_node.alive = f_bool(&f);
		m->u.peer_node.crashed = f_bool(&f);
		break;
	case IPC_CAMPAIGN:
		break;
	case IPC_TRANSFER:
		m->u.transfer.target_node = I32(&f);
		break;
	case IPC_CONFIG:
		m->u.config.name = (const char *)f_bin(&f, &m->u.config.name_len);
		m->u.config.value = (const char *)f_bin(&f, &m->u.config.value_len);
		break;
	case IPC_EPOCH_END: {
		struct ipc_epoch_end *x = &m->u.epoch_end;
		x->req_id = f_u64(&f);
		x->leader_epoch = I32(&f);
		x->current_leader_epoch = I32(&f);
		break;
	}
	case IPC_EPOCH_END_RESULT: {
		struct ipc_epoch_end_result *x = &m->u.epoch_end_result;
		x->req_id = f_u64(&f);
		x->error = I16(&f);
		x->leader_epoch = I32(&f);
		x->end_offset = I64(&f);
		break;
	}
	case IPC_PRODUCERS:
		m->u.producers.req_id = f_u64(&f);
		break;
	case IPC_PRODUCERS_RESULT: {
		struct ipc_producers_result *x = &m->u.producers_result;
		x->req_id = f_u64(&f);
		x->error = I16(&f);
		x->producers = f_bin(&f, &x->producers_len);
		if (!f.err && x->producers_len % IPC_PRODUCER_LEN != 0)
			f.err = ERR_INVALID;
		break;
	}
	}
	rc = f.err ? ERR_INVALID : 0;
out:
	msgpack_zone_destroy(&zone);
	return rc;
}
