/* group_rec.c - the coordinator's record bytes (see group_rec.h). */
#include "group_rec.h"

#include <string.h>

#include "common/err.h"

void grec_put_str(struct buf *b, const char *s, size_t len)
{
	if (s == NULL) {
		buf_put_u16(b, 0xffff);
		return;
	}
	if (len > 0x7fff)
		len = 0x7fff;
	buf_put_u16(b, (uint16_t)len);
	buf_put(b, s, len);
}

void grec_put_bytes(struct buf *b, const uint8_t *p, int32_t len)
{
	if (p == NULL || len < 0)
		len = 0;
	buf_put_u32(b, (uint32_t)len);
	if (len > 0)
		buf_put(b, p, (size_t)len);
}

static void put_cstr(struct buf *b, const char *s) { grec_put_str(b, s, s ? strlen(s) : 0); }

static void put_kstr(struct buf *b, struct kafka_str s)
{
	grec_put_str(b, s.len < 0 ? NULL : (s.ptr ? s.ptr : ""), s.len < 0 ? 0 : (size_t)s.len);
}

void grec_key_offset(struct buf *b, const char *group, const char *topic, size_t topic_len,
		     int32_t partition)
{
	buf_put_u8(b, GREC_OFFSET);
	put_cstr(b, group);
	grec_put_str(b, topic, topic_len);
	buf_put_u32(b, (uint32_t)partition);
}

void grec_key_group(struct buf *b, const char *group)
{
	buf_put_u8(b, GREC_GROUP);
	put_cstr(b, group);
}

void grec_value_offset(struct buf *b, const struct grec_offset *o)
{
	buf_put_u8(b, 0);
	buf_put_u64(b, (uint64_t)o->offset);
	buf_put_u32(b, (uint32_t)o->leader_epoch);
	put_kstr(b, o->metadata);
	buf_put_u64(b, (uint64_t)o->commit_ms);
}

void grec_value_group(struct buf *b, const struct grec_group *h)
{
	buf_put_u8(b, 0);
	put_kstr(b, h->protocol_type);
	buf_put_u32(b, (uint32_t)h->generation);
	put_kstr(b, h->protocol);
	put_kstr(b, h->leader);
	buf_put_u64(b, (uint64_t)h->ms);
	buf_put_u32(b, (uint32_t)h->n_members);
}

void grec_value_member(struct buf *b, const struct grec_member *m)
{
	put_kstr(b, m->id);
	put_kstr(b, m->instance_id);
	put_kstr(b, m->client_id);
	put_kstr(b, m->host);
	buf_put_u32(b, (uint32_t)m->session_ms);
	buf_put_u32(b, (uint32_t)m->rebalance_ms);
	grec_put_bytes(b, m->subscription.ptr, m->subscription.len);
	grec_put_bytes(b, m->assignment.ptr, m->assignment.len);
}

static struct kafka_str get_str(struct reader *r)
{
	uint16_t n = reader_u16(r);
	if (n == 0xffff)
		return (struct kafka_str){NULL, -1};
	const uint8_t *p = reader_bytes(r, n);
	return (struct kafka_str){(const char *)p, p ? n : 0};
}

static struct kafka_bytes get_bytes(struct reader *r)
{
	uint32_t n = reader_u32(r);
	if (n > reader_left(r)) {
		r->err = ERR_INVALID;
		return (struct kafka_bytes){NULL, 0};
	}
	const uint8_t *p = reader_bytes(r, n);
	return (struct kafka_bytes){p, p ? (int32_t)n : 0};
}

int grec_parse_key(const uint8_t *p, size_t len, struct grec_key *out)
{
	struct reader r;
	reader_init(&r, p, len);
	*out = (struct grec_key){.type = reader_u8(&r)};
	out->group = get_str(&r);
	if (out->type == GREC_OFFSET) {
		out->topic = get_str(&r);
		out->partition = (int32_t)reader_u32(&r);
	} else if (out->type != GREC_GROUP) {
		return ERR_INVALID;
	}
	if (r.err || out->group.len < 0 || (out->type == GREC_OFFSET && out->topic.len < 0))
		return ERR_INVALID;
	return 0;
}

int grec_parse_offset(const uint8_t *p, size_t len, struct grec_offset *out)
{
	struct reader r;
	reader_init(&r, p, len);
	if (reader_u8(&r) != 0)
		return ERR_INVALID;
	out->offset = (int64_t)reader_u64(&r);
	out->leader_epoch = (int32_t)reader_u32(&r);
	out->metadata = get_str(&r);
	out->commit_ms = (int64_t)reader_u64(&r);
	return r.err ? ERR_INVALID : 0;
}

int grec_parse_group(struct reader *r, const uint8_t *p, size_t len, struct grec_group *out)
{
	reader_init(r, p, len);
	if (reader_u8(r) != 0)
		return ERR_INVALID;
	out->protocol_type = get_str(r);
	out->generation = (int32_t)reader_u32(r);
	out->protocol = get_str(r);
	out->leader = get_str(r);
	out->ms = (int64_t)reader_u64(r);
	out->n_members = (int32_t)reader_u32(r);
	return r->err || out->n_members < 0 ? ERR_INVALID : 0;
}

int grec_parse_member(struct reader *r, struct grec_member *m)
{
	m->id = get_str(r);
	m->instance_id = get_str(r);
	m->client_id = get_str(r);
	m->host = get_str(r);
	m->session_ms = (int32_t)reader_u32(r);
	m->rebalance_ms = (int32_t)reader_u32(r);
	m->subscription = get_bytes(r);
	m->assignment = get_bytes(r);
	return r->err || m->id.len < 0 ? ERR_INVALID : 0;
}
