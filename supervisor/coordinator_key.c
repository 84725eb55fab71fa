/* coordinator_key.c - group id -> coordinator partition and worker (see
 * coordinator_key.h). */
#include "coordinator_key.h"

#include <string.h>

#include "common/config.h"
#include "common/kafka/kerr.h"
#include "supervisor/internal_topics.h"
#include "supervisor/router.h"
#include "supervisor/sup.h"

/* Decodes one code point at s[*i], advancing *i; U+FFFD (one byte
 * consumed) for a malformed sequence. */
static uint32_t utf8_next(const unsigned char *s, size_t len, size_t *i)
{
	unsigned char c = s[*i];
	int n = c < 0x80	     ? 0
		: (c & 0xe0) == 0xc0 ? 1
		: (c & 0xf0) == 0xe0 ? 2
		: (c & 0xf8) == 0xf0 ? 3
				     : -1;
	if (n == 0) {
		(*i)++;
		return c;
	}
	if (n < 0 || *i + (size_t)n >= len) {
		(*i)++;
		return 0xfffd;
	}
	uint32_t cp = c & (0x3fu >> n);
	for (int k = 1; k <= n; k++) {
		if ((s[*i + (size_t)k] & 0xc0) != 0x80) {
			(*i)++;
			return 0xfffd;
		}
		cp = cp << 6 | (s[*i + (size_t)k] & 0x3f);
	}
	*i += (size_t)n + 1;
	return cp;
}

int32_t coordinator_java_hash(const char *s, size_t len)
{
	uint32_t h = 0;
	size_t i = 0;
	while (i < len) {
		uint32_t cp = utf8_next((const unsigned char *)s, len, &i);
		if (cp >= 0x10000) {
			cp -= 0x10000;
			h = 31 * h + (0xd800 + (cp >> 10));
			h = 31 * h + (0xdc00 + (cp & 0x3ff));
		} else {
			h = 31 * h + cp;
		}
	}
	return (int32_t)h;
}

int32_t coordinator_partition(const char *id, size_t len, int32_t n)
{
	int32_t h = coordinator_java_hash(id, len);
	int32_t a = h == INT32_MIN ? 0 : (h < 0 ? -h : h);
	return a % n;
}

int32_t coordinator_n_partitions(const struct sup *s)
{
	const char *t = INTERNAL_OFFSETS_TOPIC;
	const struct config_topic *ct = config_topic_find(s->cfg, t, strlen(t));
	return ct ? ct->partitions : 0;
}

int16_t coordinator_route(struct sup *s, struct kafka_str id, struct worker **w)
{
	if (id.len <= 0 || id.len > COORDINATOR_GROUP_ID_MAX)
		return KERR_INVALID_GROUP_ID;
	int32_t n = coordinator_n_partitions(s);
	if (n <= 0)
		return KERR_COORDINATOR_NOT_AVAILABLE;
	int32_t p = coordinator_partition(id.ptr, (size_t)id.len, n);
	int16_t e = router_route(s, kafka_str_from(INTERNAL_OFFSETS_TOPIC), p, w);
	if (e == KERR_NONE)
		return KERR_NONE;
	return e == KERR_UNKNOWN_TOPIC_OR_PARTITION ? KERR_COORDINATOR_NOT_AVAILABLE
						    : KERR_NOT_COORDINATOR;
}
