/* peer_proto.c - msgpack encoding of the supervisor channel messages of
 * peer_proto.h. Decoding is strict: exact arity, integer ranges checked,
 * topic names checked against Kafka's rules. */
#include "peer_proto.h"

#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"

static int buf_write_cb(void *data, const char *p, size_t len)
{
	struct buf *b = data;
	buf_put(b, p, len);
	return b->oom ? -1 : 0;
}

static int pack_topic(msgpack_packer *pk, const char *s)
{
	size_t n = strlen(s);
	if (n > CONFIG_TOPIC_NAME_MAX)
		return ERR_INVALID;
	msgpack_pack_str(pk, n);
	msgpack_pack_str_body(pk, s, n);
	return 0;
}

int peer_leaders_encode(int32_t node, bool draining, const struct peer_claim *claims, int n,
			struct buf *out)
{
	msgpack_packer pk;
	msgpack_packer_init(&pk, out, buf_write_cb);
	msgpack_pack_array(&pk, 4);
	msgpack_pack_int(&pk, PEER_LEADERS);
	msgpack_pack_int32(&pk, node);
	msgpack_pack_array(&pk, (size_t)n);
	for (int i = 0; i < n; i++) {
		const struct peer_claim *c = &claims[i];
		msgpack_pack_array(&pk, 7);
		if (pack_topic(&pk, c->topic) != 0)
			return ERR_INVALID;
		msgpack_pack_int32(&pk, c->partition);
		msgpack_pack_int8(&pk, c->role);
		msgpack_pack_uint64(&pk, c->term);
		msgpack_pack_int32(&pk, c->leader);
		msgpack_pack_int64(&pk, c->commit_offset);
		if (c->caught_up)
			msgpack_pack_true(&pk);
		else
			msgpack_pack_false(&pk);
	}
	if (draining)
		msgpack_pack_true(&pk);
	else
		msgpack_pack_false(&pk);
	return out->oom ? ERR_NOMEM : 0;
}

static int worker_event_encode(int type, const struct peer_worker_died *d, struct buf *out)
{
	msgpack_packer pk;
	msgpack_packer_init(&pk, out, buf_write_cb);
	msgpack_pack_array(&pk, 5);
	msgpack_pack_int(&pk, type);
	msgpack_pack_int32(&pk, d->node);
	if (pack_topic(&pk, d->topic) != 0)
		return ERR_INVALID;
	msgpack_pack_int32(&pk, d->partition);
	msgpack_pack_uint64(&pk, d->term);
	return out->oom ? ERR_NOMEM : 0;
}

static bool int_in(const msgpack_object *o, int64_t lo, int64_t hi)
{
	if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
		return o->via.u64 <= (uint64_t)INT64_MAX && (int64_t)o->via.u64 >= lo &&
		       (int64_t)o->via.u64 <= hi;
	if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
		return o->via.i64 >= lo && o->via.i64 <= hi;
	return false;
}

static int copy_topic(const msgpack_object *o, char *out)
{
	if (o->type != MSGPACK_OBJECT_STR ||
	    config_topic_name_check(o->via.str.ptr, o->via.str.size) != 0)
		return ERR_INVALID;
	memcpy(out, o->via.str.ptr, o->via.str.size);
	out[o->via.str.size] = '\0';
	return 0;
}

/* Unpacks the whole payload into one array object of exactly n elements
 * whose first is `type`. The zone owns what items point to. */
static int unpack(const uint8_t *p, size_t len, msgpack_zone *zone, uint32_t n, int type,
		  msgpack_object **items)
{
	msgpack_object obj;
	size_t off = 0;
	if (len > PEER_FRAME_MAX)
		return ERR_INVALID;
	int r = msgpack_unpack((const char *)p, len, &off, zone, &obj);
	if (r == MSGPACK_UNPACK_NOMEM_ERROR)
		return ERR_NOMEM;
	if (r != MSGPACK_UNPACK_SUCCESS || off != len || obj.type != MSGPACK_OBJECT_ARRAY ||
	    obj.via.array.size != n)
		return ERR_INVALID;
	*items = obj.via.array.ptr;
	if (!int_in(&(*items)[0], type, type))
		return ERR_INVALID;
	return 0;
}

int peer_msg_type(const uint8_t *p, size_t len)
{
	/* fixarray header, then a positive fixint type. */
	if (len < 2 || (p[0] & 0xf0) != 0x90)
		return ERR_INVALID;
	if ((p[1] >= PEER_LEADERS && p[1] <= PEER_CATALOG) || p[1] == PEER_LEADER_SILENT ||
	    p[1] == PEER_ELECT)
		return p[1];
	return ERR_INVALID;
}

int peer_leaders_decode(const uint8_t *p, size_t len, int32_t *node, bool *draining,
			struct peer_claim **claims, int *n)
{
	msgpack_zone zone;
	msgpack_object *it;
	*claims = NULL;
	*n = 0;
	if (!msgpack_zone_init(&zone, 4096))
		return ERR_NOMEM;
	int rc = unpack(p, len, &zone, 4, PEER_LEADERS, &it);
	if (rc == 0 && (!int_in(&it[1], 1, CONFIG_NODE_ID_MAX) ||
			it[2].type != MSGPACK_OBJECT_ARRAY || it[3].type != MSGPACK_OBJECT_BOOLEAN))
		rc = ERR_INVALID;
	struct peer_claim *v = NULL;
	uint32_t count = rc == 0 ? it[2].via.array.size : 0;
	if (count > 0) {
		v = calloc(count, sizeof(*v));
		if (v == NULL)
			rc = ERR_NOMEM;
	}
	for (uint32_t i = 0; rc == 0 && i < count; i++) {
		const msgpack_object *e = &it[2].via.array.ptr[i];
		if (e->type != MSGPACK_OBJECT_ARRAY || e->via.array.size != 7) {
			rc = ERR_INVALID;
			break;
		}
		const msgpack_object *f = e->via.array.ptr;
		struct peer_claim *c = &v[i];
		if (copy_topic(&f[0], c->topic) != 0 || !int_in(&f[1], 0, INT32_MAX) ||
		    !int_in(&f[2], 0, 2) || f[3].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
		    !int_in(&f[4], -1, INT32_MAX) || !int_in(&f[5], -1, INT64_MAX) ||
		    f[6].type != MSGPACK_OBJECT_BOOLEAN) {
			rc = ERR_INVALID;
			break;
		}
		c->partition = (int32_t)f[1].via.i64;
		c->role = (int8_t)f[2].via.i64;
		c->term = f[3].via.u64;
		c->leader = (int32_t)f[4].via.i64;
		c->commit_offset = f[5].via.i64;
		c->caught_up = f[6].via.boolean;
	}
	if (rc == 0) {
		*node = (int32_t)it[1].via.i64;
		*draining = it[3].via.boolean;
		*claims = v;
		*n = (int)count;
	} else {
		free(v);
	}
	msgpack_zone_destroy(&zone);
	return rc;
}

int peer_worker_died_encode(const struct peer_worker_died *d, struct buf *out)
{
	return worker_event_encode(PEER_WORKER_DIED, d, out);
}

int peer_leader_silent_encode(const struct peer_worker_died *d, struct buf *out)
{
	return worker_event_encode(PEER_LEADER_SILENT, d, out);
}

static int worker_event_decode(int type, const uint8_t *p, size_t len, struct peer_worker_died *d)
{
	msgpack_zone zone;
	msgpack_object *it;
	memset(d, 0, sizeof(*d));
	if (!msgpack_zone_init(&zone, 512))
		return ERR_NOMEM;
	int rc = unpack(p, len, &zone, 5, type, &it);
	if (rc == 0 &&
	    (!int_in(&it[1], 1, CONFIG_NODE_ID_MAX) || copy_topic(&it[2], d->topic) != 0 ||
	     !int_in(&it[3], 0, INT32_MAX) || it[4].type != MSGPACK_OBJECT_POSITIVE_INTEGER))
		rc = ERR_INVALID;
	if (rc == 0) {
		d->node = (int32_t)it[1].via.i64;
		d->partition = (int32_t)it[3].via.i64;
		d->term = it[4].via.u64;
	}
	msgpack_zone_destroy(&zone);
	return rc;
}

int peer_worker_died_decode(const uint8_t *p, size_t len, struct peer_worker_died *d)
{
	return worker_event_decode(PEER_WORKER_DIED, p, len, d);
}

int peer_leader_silent_decode(const uint8_t *p, size_t len, struct peer_worker_died *d)
{
	return worker_event_decode(PEER_LEADER_SILENT, p, len, d);
}

int peer_elect_encode(const struct peer_elect *e, struct buf *out)
{
	msgpack_packer pk;
	msgpack_packer_init(&pk, out, buf_write_cb);
	msgpack_pack_array(&pk, 5);
	msgpack_pack_int(&pk, PEER_ELECT);
	msgpack_pack_int32(&pk, e->node);
	if (pack_topic(&pk, e->topic) != 0)
		return ERR_INVALID;
	msgpack_pack_int32(&pk, e->partition);
	msgpack_pack_int32(&pk, e->target);
	return out->oom ? ERR_NOMEM : 0;
}

int peer_elect_decode(const uint8_t *p, size_t len, struct peer_elect *e)
{
	msgpack_zone zone;
	msgpack_object *it;
	memset(e, 0, sizeof(*e));
	if (!msgpack_zone_init(&zone, 512))
		return ERR_NOMEM;
	int rc = unpack(p, len, &zone, 5, PEER_ELECT, &it);
	if (rc == 0 &&
	    (!int_in(&it[1], 1, CONFIG_NODE_ID_MAX) || copy_topic(&it[2], e->topic) != 0 ||
	     !int_in(&it[3], 0, INT32_MAX) || !int_in(&it[4], 1, CONFIG_NODE_ID_MAX)))
		rc = ERR_INVALID;
	if (rc == 0) {
		e->node = (int32_t)it[1].via.i64;
		e->partition = (int32_t)it[3].via.i64;
		e->target = (int32_t)it[4].via.i64;
	}
	msgpack_zone_destroy(&zone);
	return rc;
}

int peer_goodbye_encode(int32_t node, const char *reason, struct buf *out)
{
	msgpack_packer pk;
	msgpack_packer_init(&pk, out, buf_write_cb);
	size_t n = strlen(reason);
	if (n > PEER_REASON_MAX)
		n = PEER_REASON_MAX;
	msgpack_pack_array(&pk, 3);
	msgpack_pack_int(&pk, PEER_GOODBYE);
	msgpack_pack_int32(&pk, node);
	msgpack_pack_str(&pk, n);
	msgpack_pack_str_body(&pk, reason, n);
	return out->oom ? ERR_NOMEM : 0;
}

int peer_goodbye_decode(const uint8_t *p, size_t len, int32_t *node, char *reason,
			size_t reason_len)
{
	msgpack_zone zone;
	msgpack_object *it;
	reason[0] = '\0';
	if (!msgpack_zone_init(&zone, 256))
		return ERR_NOMEM;
	int rc = unpack(p, len, &zone, 3, PEER_GOODBYE, &it);
	if (rc == 0 && (!int_in(&it[1], 1, CONFIG_NODE_ID_MAX) ||
			it[2].type != MSGPACK_OBJECT_STR || it[2].via.str.size > PEER_REASON_MAX))
		rc = ERR_INVALID;
	if (rc == 0) {
		*node = (int32_t)it[1].via.i64;
		size_t n =
		    it[2].via.str.size < reason_len - 1 ? it[2].via.str.size : reason_len - 1;
		memcpy(reason, it[2].via.str.ptr, n);
		reason[n] = '\0';
	}
	msgpack_zone_destroy(&zone);
	return rc;
}

int peer_ctl_encode(const struct peer_ctl *m, struct buf *out)
{
	msgpack_packer pk;
	msgpack_packer_init(&pk, out, buf_write_cb);
	switch (m->type) {
	case PEER_CTL_PROPOSE:
		msgpack_pack_array(&pk, 4);
		msgpack_pack_int(&pk, m->type);
		msgpack_pack_int32(&pk, m->node);
		msgpack_pack_uint64(&pk, m->req_id);
		break;
	case PEER_CTL_RESULT:
		msgpack_pack_array(&pk, 7);
		msgpack_pack_int(&pk, m->type);
		msgpack_pack_int32(&pk, m->node);
		msgpack_pack_uint64(&pk, m->req_id);
		msgpack_pack_int16(&pk, m->error);
		msgpack_pack_int64(&pk, m->value);
		msgpack_pack_uint64(&pk, m->index);
		break;
	case PEER_CATALOG:
		msgpack_pack_array(&pk, 3);
		msgpack_pack_int(&pk, m->type);
		msgpack_pack_int32(&pk, m->node);
		break;
	default:
		return ERR_INVALID;
	}
	msgpack_pack_bin(&pk, m->len);
	msgpack_pack_bin_body(&pk, m->data, m->len);
	return out->oom ? ERR_NOMEM : 0;
}

int peer_ctl_decode(const uint8_t *p, size_t len, struct peer_ctl *m)
{
	msgpack_zone zone;
	msgpack_object obj;
	size_t off = 0;
	int rc = ERR_INVALID;
	memset(m, 0, sizeof(*m));
	if (!msgpack_zone_init(&zone, 256))
		return ERR_NOMEM;
	if (msgpack_unpack((const char *)p, len, &off, &zone, &obj) != MSGPACK_UNPACK_SUCCESS ||
	    off != len || obj.type != MSGPACK_OBJECT_ARRAY || obj.via.array.size < 3)
		goto out;
	const msgpack_object *o = obj.via.array.ptr;
	uint32_t n = obj.via.array.size;
	if (!int_in(&o[0], PEER_CTL_PROPOSE, PEER_CATALOG) || !int_in(&o[1], 0, INT32_MAX))
		goto out;
	m->type = (int)o[0].via.u64;
	m->node = (int32_t)o[1].via.u64;
	uint32_t want = m->type == PEER_CTL_PROPOSE ? 4 : m->type == PEER_CTL_RESULT ? 7 : 3;
	if (n != want || o[n - 1].type != MSGPACK_OBJECT_BIN)
		goto out;
	if (m->type != PEER_CATALOG) {
		if (o[2].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
			goto out;
		m->req_id = o[2].via.u64;
	}
	if (m->type == PEER_CTL_RESULT) {
		if (!int_in(&o[3], INT16_MIN, INT16_MAX) || !int_in(&o[4], INT64_MIN, INT64_MAX))
			goto out;
		m->error =
		    (int16_t)(o[3].type == MSGPACK_OBJECT_NEGATIVE_INTEGER ? o[3].via.i64
									   : (int64_t)o[3].via.u64);
		m->value = o[4].type == MSGPACK_OBJECT_NEGATIVE_INTEGER ? o[4].via.i64
									: (int64_t)o[4].via.u64;
		if (o[5].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
			goto out;
		m->index = o[5].via.u64;
	}
	m->data = (const uint8_t *)o[n - 1].via.bin.ptr;
	m->len = o[n - 1].via.bin.size;
	rc = 0;
out:
	msgpack_zone_destroy(&zone);
	return rc;
}
