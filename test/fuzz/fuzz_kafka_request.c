/* fuzz_kafka_request.c - libFuzzer target for the Kafka request codec.
 *
 * Treats the input as one request frame (header then body, no length
 * prefix), as the supervisor does with every frame a client sends. Beyond
 * "no crash, no leak, no UB" it checks one property: whatever decodes must
 * re-encode, and decoding that encoding again must give the same bytes. The
 * same body bytes are also fed to the response decoder of that API. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/kafka/gen/kafka_gen.h"
#include "common/kafka/kafka_header.h"

static void fail(const char *what, int16_t key, int16_t version, int rc)
{
	fprintf(stderr, "fuzz_kafka_request: %s (api %d v%d): %s\n", what, key, version,
		err_str(rc));
	abort();
}

static void check_reencode(int16_t key, int16_t version, const void *body, int response,
			   struct arena *a)
{
	struct buf b1, b2;
	buf_init(&b1);
	buf_init(&b2);
	int rc = response ? kafka_response_encode(key, version, &b1, body)
			  : kafka_request_encode(key, version, &b1, body);
	if (rc != 0)
		fail("decoded message does not encode", key, version, rc);
	struct reader r;
	reader_init(&r, b1.data, b1.len);
	void *again = NULL;
	rc = response ? kafka_response_decode(key, version, &r, a, &again)
		      : kafka_request_decode(key, version, &r, a, &again);
	if (rc != 0 || reader_left(&r) != 0)
		fail("own encoding does not decode", key, version, rc);
	rc = response ? kafka_response_encode(key, version, &b2, again)
		      : kafka_request_encode(key, version, &b2, again);
	if (rc != 0 || b1.len != b2.len || (b1.len && memcmp(b1.data, b2.data, b1.len) != 0))
		fail("encoding is not stable", key, version, rc);
	buf_free(&b1);
	buf_free(&b2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a;
	arena_init(&a);
	struct reader r;
	reader_init(&r, data, size);
	struct kafka_request_header h;
	if (kafka_request_header_read(&r, &h, &a) == 0) {
		int16_t key = h.request_api_key, version = h.request_api_version;
		size_t body_at = r.pos;
		void *body = NULL;
		if (kafka_request_decode(key, version, &r, &a, &body) == 0)
			check_reencode(key, version, body, 0, &a);
		reader_init(&r, data + body_at, size - body_at);
		if (kafka_response_decode(key, version, &r, &a, &body) == 0)
			check_reencode(key, version, body, 1, &a);
	}
	arena_free(&a);
	return 0;
}
