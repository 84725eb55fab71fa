/* hello.c - msgpack encoding of the raft_listen handshake of hello.h. */
#include "hello.h"

#include <msgpack.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "err.h"

static int buf_write_cb(void *data, const char *p, size_t len)
{
	struct buf *b = data;
	buf_put(b, p, len);
	return b->oom ? -1 : 0;
}

static void pack_str(msgpack_packer *pk, const char *s)
{
	size_t n = strlen(s);
	msgpack_pack_str(pk, n);
	msgpack_pack_str_body(pk, s, n);
}

void hello_group_name(char *out, size_t out_len, const char *topic, int32_t partition)
{
	snprintf(out, out_len, "%s/%d", topic, (int)partition);
}

int hello_group_parse(const char *group, char *topic_out, size_t topic_len, int32_t *partition)
{
	const char *slash = strrchr(group, '/');
	if (slash == NULL || slash == group || slash[1] == '\0')
		return ERR_INVALID;
	size_t tlen = (size_t)(slash - group);
	if (tlen >= topic_len)
		return ERR_INVALID;
	long p = 0;
	for (const char *c = slash + 1; *c; c++) {
		if (*c < '0' || *c > '9' || p > 100000000)
			return ERR_INVALID;
		p = p * 10 + (*c - '0');
	}
	memcpy(topic_out, group, tlen);
	topic_out[tlen] = '\0';
	*partition = (int32_t)p;
	return 0;
}

int hello_encode(const struct hello *h, struct buf *out)
{
	if (strlen(h->cluster) >= HELLO_CLUSTER_MAX || strlen(h->group) >= HELLO_GROUP_MAX)
		return ERR_INVALID;
	msgpack_packer pk;
	msgpack_packer_init(&pk, out, buf_write_cb);
	msgpack_pack_array(&pk, 4);
	msgpack_pack_int(&pk, HELLO_MSG_HELLO);
	pack_str(&pk, h->cluster);
	msgpack_pack_int32(&pk, h->from_node);
	pack_str(&pk, h->group);
	return out->oom ? ERR_NOMEM : 0;
}

int hello_ack_encode(int32_t node, struct buf *out)
{
	msgpack_packer pk;
	msgpack_packer_init(&pk, out, buf_write_cb);
	msgpack_pack_array(&pk, 2);
	msgpack_pack_int(&pk, HELLO_MSG_ACK);
	msgpack_pack_int32(&pk, node);
	return out->oom ? ERR_NOMEM : 0;
}

int hello_reject_encode(const char *reason, struct buf *out)
{
	msgpack_packer pk;
	msgpack_packer_init(&pk, out, buf_write_cb);
	msgpack_pack_array(&pk, 2);
	msgpack_pack_int(&pk, HELLO_MSG_REJECT);
	pack_str(&pk, reason);
	return out->oom ? ERR_NOMEM : 0;
}

/* Copies a msgpack str into a NUL-terminated buffer; ERR_INVALID if too long. */
static int copy_str(const msgpack_object *o, char *out, size_t out_len)
{
	if (o->type != MSGPACK_OBJECT_STR || o->via.str.size >= out_len)
		return ERR_INVALID;
	memcpy(out, o->via.str.ptr, o->via.str.size);
	out[o->via.str.size] = '\0';
	if (memchr(out, '\0', o->via.str.size) != NULL)
		return ERR_INVALID;
	return 0;
}

static bool is_int(const msgpack_object *o)
{
	return o->type == MSGPACK_OBJECT_POSITIVE_INTEGER ||
	       o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER;
}

/* Unpacks p into an array of exactly n elements whose first is `type`.
 * The input is at most HELLO_FRAME_MAX bytes, so the zone stays small. */
static int unpack(const uint8_t *p, size_t len, msgpack_zone *zone, uint32_t n, int type,
		  msgpack_object **items)
{
	msgpack_object obj;
	size_t off = 0;
	if (len > HELLO_FRAME_MAX)
		return ERR_INVALID;
	if (msgpack_unpack((const char *)p, len, &off, zone, &obj) != MSGPACK_UNPACK_SUCCESS ||
	    off != len || obj.type != MSGPACK_OBJECT_ARRAY || obj.via.array.size != n)
		return ERR_INVALID;
	*items = obj.via.array.ptr;
	if (type >= 0 && (!is_int(&(*items)[0]) || (*items)[0].via.i64 != type))
		return ERR_INVALID;
	return 0;
}

int hello_decode(const uint8_t *p, size_t len, struct hello *h)
{
	msgpack_zone zone;
	msgpack_object *it;
	memset(h, 0, sizeof(*h));
	if (!msgpack_zone_init(&zone, 256))
		return ERR_NOMEM;
	int rc = unpack(p, len, &zone, 4, HELLO_MSG_HELLO, &it);
	if (rc == 0)
		rc = copy_str(&it[1], h->cluster, sizeof(h->cluster));
	if (rc == 0 && (!is_int(&it[2]) || it[2].via.i64 < 0 || it[2].via.i64 > INT32_MAX))
		rc = ERR_INVALID;
	if (rc == 0) {
		h->from_node = (int32_t)it[2].via.i64;
		rc = copy_str(&it[3], h->group, sizeof(h->group));
	}
	msgpack_zone_destroy(&zone);
	return rc;
}

int hello_reply_decode(const uint8_t *p, size_t len, bool *accepted, int32_t *node, char *reason,
		       size_t reason_len)
{
	msgpack_zone zone;
	msgpack_object *it;
	*accepted = false;
	*node = -1;
	if (reason_len > 0)
		reason[0] = '\0';
	if (!msgpack_zone_init(&zone, 256))
		return ERR_NOMEM;
	int rc = unpack(p, len, &zone, 2, -1, &it);
	if (rc == 0 && !is_int(&it[0]))
		rc = ERR_INVALID;
	if (rc == 0 && it[0].via.i64 == HELLO_MSG_ACK) {
		if (!is_int(&it[1]) || it[1].via.i64 < 0 || it[1].via.i64 > INT32_MAX) {
			rc = ERR_INVALID;
		} else {
			*accepted = true;
			*node = (int32_t)it[1].via.i64;
		}
	} else if (rc == 0 && it[0].via.i64 == HELLO_MSG_REJECT) {
		if (it[1].type != MSGPACK_OBJECT_STR) {
			rc = ERR_INVALID;
		} else if (reason_len > 0) {
			size_t n = it[1].via.str.size < reason_len - 1 ? it[1].via.str.size
								       : reason_len - 1;
			memcpy(reason, it[1].via.str.ptr, n);
			reason[n] = '\0';
		}
	} else if (rc == 0) {
		rc = ERR_INVALID;
	}
	msgpack_zone_destroy(&zone);
	return rc;
}
