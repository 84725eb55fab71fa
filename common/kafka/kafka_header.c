/* kafka_header.c - header version rules and request-header parsing of kafka_header.h. */
#include "common/kafka/kafka_header.h"

#include "common/err.h"

static int is_flexible(int16_t api_key, int16_t api_version)
{
	const struct kafka_api_info *api = kafka_api_lookup(api_key);
	return api != NULL && api->first_flexible >= 0 && api_version >= api->first_flexible;
}

int kafka_request_header_version(int16_t api_key, int16_t api_version)
{
	/* ControlledShutdown v0 predates the client id. */
	if (api_key == KAFKA_API_CONTROLLED_SHUTDOWN && api_version == 0)
		return 0;
	return is_flexible(api_key, api_version) ? 2 : 1;
}

int kafka_response_header_version(int16_t api_key, int16_t api_version)
{
	/* A client that does not know our versions yet must parse the answer. */
	if (api_key == KAFKA_API_API_VERSIONS)
		return 0;
	return is_flexible(api_key, api_version) ? 1 : 0;
}

int kafka_request_header_read(struct reader *r, struct kafka_request_header *h, struct arena *a)
{
	kafka_request_header_init(h);
	if (r->err)
		return r->err;
	if (reader_left(r) < 4)
		return ERR_TRUNCATED;
	const uint8_t *p = r->p + r->pos;
	int16_t key = (int16_t)be16_load(p);
	int16_t version = (int16_t)be16_load(p + 2);
	return kafka_request_header_decode(r, (int16_t)kafka_request_header_version(key, version),
					   h, a);
}

void kafka_response_header_write(struct buf *b, int16_t api_key, int16_t api_version,
				 int32_t correlation_id)
{
	buf_put_u32(b, (uint32_t)correlation_id);
	if (kafka_response_header_version(api_key, api_version) >= 1)
		buf_put_u8(b, 0); /* empty tagged-field section */
}
