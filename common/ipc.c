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

/* A byte string is always a message's last field. With a tail to fill, only
 * its msgpack header goes into the buffer and the tail names its bytes, so
 * the sender can hand them to the socket buffer without a copy in between. */
static void pk_bin(msgpack_packer *pk, const uint8_t *p, uint32_t len, struct ipc_tail *tail)
{
	msgpack_pack_bin(pk, len);
	if (tail != NULL) {
		tail->data = p;
		tail->len = len;
	} else {
		msgpack_pack_bin_body(pk, p, len);
	}
}

static int encode(const struct ipc_msg *m, struct buf *out, struct ipc_tail *tail);

int ipc_encode(const struct ipc_msg *m, struct buf *out) { return encode(m, out, NULL); }

int ipc_encode_head(const struct ipc_msg *m, struct buf *out, struct ipc_tail *tail)
{
	tail->data = NULL;
	tail->len = 0;
	return encode(m, out, tail);
}

static int encode(const struct ipc_msg *m, struct buf *out, struct ipc_tail *tail)
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
		pk_bin(&pk, x->records, x->records_len, tail);
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
		pk_bin(&pk, x->records, x->records_len, tail);
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
	case IPC_PROBE_LEADER:
		msgpack_pack_array(&pk, 1);
		msgpack_pack_int(&pk, m->type);
		break;
	case IPC_RESIGNED:
		msgpack_pack_array(&pk, 2);
		msgpack_pack_int(&pk, m->type);
		msgpack_pack_uint64(&pk, m->u.resigned.term);
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
	case IPC_DELETE_RECORDS: {
		const struct ipc_delete_records *x = &m->u.delete_records;
		msgpack_pack_array(&pk, 4);
		msgpack_pack_int(&pk, m->type);
		msgpack_pack_uint64(&pk, x->req_id);
		msgpack_pack_int64(&pk, x->offset);
		msgpack_pack_int32(&pk, x->timeout_ms);
		break;
	}
	case IPC_DELETE_RECORDS_RESULT: {
		const struct ipc_delete_records_result *x = &m->u.delete_records_result;
		msgpack_pack_array(&pk, 4);
		msgpack_pack_int(&pk, m->type);
		msgpack_pack_uint64(&pk, x->req_id);
		msgpack_pack_int16(&pk, x->error);
		msgpack_pack_int64(&pk, x->low_watermark);
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
		pk_bin(&pk, x->producers, x->producers_len, tail);
		break;
	}
	case IPC_GROUP: {
		const struct ipc_group *x = &m->u.group;
		msgpack_pack_array(&pk, 7);
		msgpack_pack_int(&pk, m->type);
		msgpack_pack_uint64(&pk, x->req_id);
		msgpack_pack_int16(&pk, x->api_key);
		msgpack_pack_int16(&pk, x->api_version);
		pk_bin(&pk, x->client_id, x->client_id_len, NULL);
		pk_bin(&pk, x->client_host, x->client_host_len, NULL);
		pk_bin(&pk, x->body, x->body_len, NULL);
		break;
	}
	case IPC_GROUP_RESULT: {
		const struct ipc_group_result *x = &m->u.group_result;
		msgpack_pack_array(&pk, 3);
		msgpack_pack_int(&pk, m->type);
		msgpack_pack_uint64(&pk, x->req_id);
		pk_bin(&pk, x->body, x->body_len, NULL);
		break;
	}
	case IPC_GROUP_STATUS: {
		const struct ipc_group_status *x = &m->u.group_status;
		msgpack_pack_array(&pk, 1 + IPC_GROUP_STATES + 5);
		msgpack_pack_int(&pk, m->type);
		for (int i = 0; i < IPC_GROUP_STATES; i++)
			msgpack_pack_uint64(&pk, x->groups[i]);
		msgpack_pack_uint64(&pk, x->members);
		msgpack_pack_uint64(&pk, x->rebalances);
		msgpack_pack_uint64(&pk, x->commits);
		msgpack_pack_uint64(&pk, x->expired);
		pk_bin(&pk, x->report, x->report_len, NULL);
		break;
	}
	case IPC_CATALOG:
		msgpack_pack_array(&pk, 2);
		msgpack_pack_int(&pk, m->type);
		pk_bin(&pk, m->u.catalog.data, m->u.catalog.len, NULL);
		break;
	case IPC_CTL_PROPOSE:
		msgpack_pack_array(&pk, 3);
		msgpack_pack_int(&pk, m->type);
		msgpack_pack_uint64(&pk, m->u.ctl_propose.req_id);
		pk_bin(&pk, m->u.ctl_propose.cmd, m->u.ctl_propose.cmd_len, NULL);
		break;
	case IPC_CTL_RESULT: {
		const struct ipc_ctl_result *x = &m->u.ctl_result;
		msgpack_pack_array(&pk, 6);
		msgpack_pack_int(&pk, m->type);
		msgpack_pack_uint64(&pk, x->req_id);
		msgpack_pack_int16(&pk, x->error);
		msgpack_pack_int64(&pk, x->value);
		msgpack_pack_uint64(&pk, x->index);
		pk_bin(&pk, (const uint8_t *)x->msg, x->msg_len, NULL);
		break;
	}
	case IPC_TOPIC_SETTINGS: {
		const struct ipc_topic_settings *x = &m->u.topic_settings;
		msgpack_pack_array(&pk, 5);
		msgpack_pack_int(&pk, m->type);
		msgpack_pack_int64(&pk, x->retention_ms);
		msgpack_pack_int64(&pk, x->retention_bytes);
		msgpack_pack_int32(&pk, x->max_message_bytes);
		msgpack_pack_int32(&pk, x->message_timestamp_type);
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
    [IPC_CATALOG] = 2,
    [IPC_CTL_PROPOSE] = 3,
    [IPC_CTL_RESULT] = 6,
    [IPC_TOPIC_SETTINGS] = 5,
    [IPC_DELETE_RECORDS] = 4,
    [IPC_DELETE_RECORDS_RESULT] = 4,
    [IPC_GROUP] = 7,
    [IPC_GROUP_RESULT] = 3,
    [IPC_GROUP_STATUS] = 1 + IPC_GROUP_STATES + 5,
    [IPC_PEER_NODE] = 4,
    [IPC_PROBE_LEADER] = 1,
    [IPC_RESIGNED] = 2,
};
#define IPC_TYPE_LAST ((int64_t)(sizeof(arity) / sizeof(arity[0])) - 1)

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
	/* Types are numbered with gaps (ranges per feature): a hole has
	 * arity 0 and is refused like a type out of range. */
	int64_t type = f_int(&f, IPC_PRODUCE, IPC_TYPE_LAST);
	if (f.err || arity[type] == 0 || f.n != arity[type])
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
	case IPC_PROBE_LEADER:
		break;
	case IPC_RESIGNED:
		m->u.resigned.term = f_u64(&f);
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
	case IPC_DELETE_RECORDS: {
		struct ipc_delete_records *x = &m->u.delete_records;
		x->req_id = f_u64(&f);
		x->offset = I64(&f);
		x->timeout_ms = I32(&f);
		break;
	}
	case IPC_DELETE_RECORDS_RESULT: {
		struct ipc_delete_records_result *x = &m->u.delete_records_result;
		x->req_id = f_u64(&f);
		x->error = I16(&f);
		x->low_watermark = I64(&f);
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
	case IPC_GROUP: {
		struct ipc_group *x = &m->u.group;
		x->req_id = f_u64(&f);
		x->api_key = I16(&f);
		x->api_version = I16(&f);
		x->client_id = f_bin(&f, &x->client_id_len);
		x->client_host = f_bin(&f, &x->client_host_len);
		x->body = f_bin(&f, &x->body_len);
		break;
	}
	case IPC_GROUP_RESULT: {
		struct ipc_group_result *x = &m->u.group_result;
		x->req_id = f_u64(&f);
		x->body = f_bin(&f, &x->body_len);
		break;
	}
	case IPC_GROUP_STATUS: {
		struct ipc_group_status *x = &m->u.group_status;
		for (int i = 0; i < IPC_GROUP_STATES; i++)
			x->groups[i] = f_u64(&f);
		x->members = f_u64(&f);
		x->rebalances = f_u64(&f);
		x->commits = f_u64(&f);
		x->expired = f_u64(&f);
		x->report = f_bin(&f, &x->report_len);
		break;
	}
	case IPC_CATALOG:
		m->u.catalog.data = f_bin(&f, &m->u.catalog.len);
		break;
	case IPC_CTL_PROPOSE:
		m->u.ctl_propose.req_id = f_u64(&f);
		m->u.ctl_propose.cmd = f_bin(&f, &m->u.ctl_propose.cmd_len);
		break;
	case IPC_TOPIC_SETTINGS: {
		struct ipc_topic_settings *x = &m->u.topic_settings;
		x->retention_ms = I64(&f);
		x->retention_bytes = I64(&f);
		x->max_message_bytes = I32(&f);
		x->message_timestamp_type = I32(&f);
		break;
	}
	case IPC_CTL_RESULT: {
		struct ipc_ctl_result *x = &m->u.ctl_result;
		x->req_id = f_u64(&f);
		x->error = I16(&f);
		x->value = I64(&f);
		x->index = f_u64(&f);
		x->msg = (const char *)f_bin(&f, &x->msg_len);
		break;
	}
	}
	rc = f.err ? ERR_INVALID : 0;
out:
	msgpack_zone_destroy(&zone);
	return rc;
}
