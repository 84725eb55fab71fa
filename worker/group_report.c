/* group_report.c - the coordinator's groups as JSON, for /v1/status and
 * fjordctl (see group_report.h). */
#include "group_report.h"

#include <stdio.h>
#include <string.h>

#include "common/err.h"

static void put_str(struct buf *b, const char *s, size_t n)
{
	buf_put_u8(b, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			buf_put_u8(b, '\\');
			buf_put_u8(b, c);
		} else if (c < 0x20) {
			char e[8];
			snprintf(e, sizeof(e), "\\u%04x", c);
			buf_put(b, e, 6);
		} else {
			buf_put_u8(b, c);
		}
	}
	buf_put_u8(b, '"');
}

static void put_cstr(struct buf *b, const char *s)
{
	if (s == NULL)
		buf_put(b, "null", 4);
	else
		put_str(b, s, strlen(s));
}

static void putf(struct buf *b, const char *fmt, long long v)
{
	char t[64];
	int n = snprintf(t, sizeof(t), fmt, v);
	if (n > 0)
		buf_put(b, t, (size_t)n);
}

/* ConsumerProtocolAssignment (any version): i16 version, then topics as
 * [str topic, [i32 partition]]; what follows (user data) is not read.
 * Writes [{"topic":..,"partitions":[..]}] or null when it does not parse. */
static void put_assignment(struct buf *b, const uint8_t *p, int32_t len)
{
	struct reader r;
	reader_init(&r, p, len > 0 ? (size_t)len : 0);
	struct buf t;
	buf_init(&t);
	reader_u16(&r);
	int32_t n = (int32_t)reader_u32(&r);
	buf_put_u8(&t, '[');
	for (int32_t i = 0; i < n && !r.err && n <= 100000; i++) {
		uint16_t l = reader_u16(&r);
		const uint8_t *name = reader_bytes(&r, l);
		int32_t np = (int32_t)reader_u32(&r);
		if (r.err || np < 0 || (size_t)np > reader_left(&r) / 4)
			break;
		if (i)
			buf_put_u8(&t, ',');
		buf_put(&t, "{\"topic\":", 9);
		put_str(&t, (const char *)name, l);
		buf_put(&t, ",\"partitions\":[", 15);
		for (int32_t j = 0; j < np; j++) {
			if (j)
				buf_put_u8(&t, ',');
			putf(&t, "%lld", (int32_t)reader_u32(&r));
		}
		buf_put(&t, "]}", 2);
	}
	buf_put_u8(&t, ']');
	if (r.err || n < 0 || len <= 0)
		buf_put(b, "null", 4);
	else
		buf_put(b, t.data, t.len);
	buf_free(&t);
}

static void put_group(struct buf *b, const struct gc_group *gr, int32_t partition)
{
	buf_put(b, "{\"group\":", 9);
	put_cstr(b, gr->id);
	putf(b, ",\"partition\":%lld", partition);
	buf_put(b, ",\"state\":", 9);
	put_cstr(b, gc_state_name(gr->state));
	buf_put(b, ",\"protocol_type\":", 17);
	put_cstr(b, gr->protocol_type);
	buf_put(b, ",\"protocol\":", 12);
	put_cstr(b, gr->protocol);
	putf(b, ",\"generation\":%lld", gr->generation);
	buf_put(b, ",\"leader\":", 10);
	put_cstr(b, gr->leader);
	buf_put(b, ",\"members\":[", 12);
	bool consumer = gr->protocol_type && strcmp(gr->protocol_type, "consumer") == 0;
	for (int i = 0; i < gr->n_members; i++) {
		const struct gc_member *m = &gr->members[i];
		buf_put(b, i ? ",{\"id\":" : "{\"id\":", i ? 7 : 6);
		put_cstr(b, m->id);
		buf_put(b, ",\"instance\":", 12);
		put_cstr(b, m->instance_id);
		buf_put(b, ",\"client_id\":", 13);
		put_cstr(b, m->client_id);
		buf_put(b, ",\"host\":", 8);
		put_cstr(b, m->host);
		buf_put(b, ",\"assignment\":", 14);
		if (consumer && gr->state == GC_STABLE)
			put_assignment(b, m->assignment, m->assignment_len);
		else
			buf_put(b, "null", 4);
		buf_put_u8(b, '}');
	}
	buf_put(b, "],\"offsets\":[", 13);
	for (int i = 0; i < gr->n_offsets; i++) {
		const struct gc_offset *o = &gr->offsets[i];
		buf_put(b, i ? ",{\"topic\":" : "{\"topic\":", i ? 10 : 9);
		put_cstr(b, o->topic);
		putf(b, ",\"partition\":%lld", o->partition);
		putf(b, ",\"offset\":%lld}", o->offset);
	}
	buf_put(b, "]}", 2);
}

int group_report_json(const struct gc *g, int32_t partition, size_t max_len, struct buf *out)
{
	buf_reset(out);
	int n = 0;
	if (!g->loaded)
		return 0;
	struct buf one;
	buf_init(&one);
	for (int i = 0; i < g->n_groups; i++) {
		buf_reset(&one);
		put_group(&one, g->groups[i], partition);
		if (one.oom) {
			buf_free(&one);
			return ERR_NOMEM;
		}
		if (out->len + one.len + 1 > max_len)
			break;
		if (n++)
			buf_put_u8(out, ',');
		buf_put(out, one.data, one.len);
	}
	buf_free(&one);
	return out->oom ? ERR_NOMEM : n;
}
