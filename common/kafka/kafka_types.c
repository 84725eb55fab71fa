/* kafka_types.c - helpers on the string view of kafka_types.h. */
#include "common/kafka/kafka_types.h"

#include <string.h>

bool kafka_str_eq(struct kafka_str s, const char *cstr)
{
	if (s.len < 0 || cstr == NULL)
		return s.len < 0 && cstr == NULL;
	size_t n = strlen(cstr);
	return n == (size_t)s.len && (n == 0 || memcmp(s.ptr, cstr, n) == 0);
}

struct kafka_str kafka_str_from(const char *cstr)
{
	struct kafka_str s = {NULL, -1};
	if (cstr != NULL) {
		s.ptr = cstr;
		s.len = (int32_t)strlen(cstr);
	}
	return s;
}
