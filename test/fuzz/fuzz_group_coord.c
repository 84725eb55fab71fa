/* fuzz_group_coord.c - libFuzzer target for the group coordinator
 * (worker/group_coord.h).
 *
 * The input is a script for one leading coordinator: each step is one
 * byte of opcode then its operands. Requests are group API bodies
 * (arbitrary bytes, so most do not decode, and some decode into nonsense);
 * other steps let time pass, commit or fail the collected records, apply
 * an arbitrary record, or step down and lead again. Beyond "no crash, no
 * leak, no UB" it checks what clients rely on: every request gc_handle
 * accepted is answered exactly once, at the latest when the coordinator
 * steps down at the end. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/kafka/gen/kafka_gen.h"
#include "worker/group_coord.h"

#define MAX_REQS 256

static uint8_t answered[MAX_REQS + 1];
static uint8_t accepted[MAX_REQS + 1];

static void respond(void *ctx, const struct gc_reply *to, const uint8_t *body, size_t len)
{
	if (to->req_id == 0 || to->req_id > MAX_REQS) {
		fprintf(stderr, "fuzz_group_coord: answer to unknown request %llu\n",
			(unsigned long long)to->req_id);
		abort();
	}
	if (answered[to->req_id]++ != 0) {
		fprintf(stderr, "fuzz_group_coord: request %llu (api %d) answered twice\n",
			(unsigned long long)to->req_id, to->api_key);
		abort();
	}
}

static const int16_t apis[] = {
    KAFKA_API_JOIN_GROUP,    KAFKA_API_SYNC_GROUP,	KAFKA_API_HEARTBEAT,
    KAFKA_API_LEAVE_GROUP,   KAFKA_API_OFFSET_COMMIT,	KAFKA_API_OFFSET_FETCH,
    KAFKA_API_OFFSET_DELETE, KAFKA_API_DESCRIBE_GROUPS, KAFKA_API_LIST_GROUPS,
    KAFKA_API_DELETE_GROUPS,
};
static const int16_t max_version[] = {9, 5, 4, 5, 9, 9, 0, 5, 5, 2};

/* Applies a record list the way Raft would, then reports it committed. */
static void commit_all(struct gc *g, uint64_t *index, bool fail)
{
	struct buf recs;
	buf_init(&recs);
	int n = gc_take_records(g, &recs);
	if (n > 0) {
		if (fail) {
			gc_propose_failed(g);
		} else {
			gc_proposed(g, ++*index);
			gc_apply_list(g, recs.data, recs.len, n);
			gc_committed(g, *index);
		}
	}
	buf_free(&recs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	memset(answered, 0, sizeof(answered));
	memset(accepted, 0, sizeof(accepted));
	struct gc_config cfg = {.min_session_ms = 10,
				.max_session_ms = 100000,
				.max_size = 4,
				.retention_ms = 1000,
				.seed = 1};
	struct gc_env env = {.respond = respond};
	struct gc g;
	gc_init(&g, &cfg, &env);
	gc_lead(&g);
	gc_loaded(&g, 0);
	int64_t now = 0;
	uint64_t index = 0, next_req = 1;
	size_t i = 0;
	while (i < size && next_req <= MAX_REQS) {
		uint8_t op = data[i++];
		switch (op % 8) {
		case 0:
		case 1:
		case 2: { /* a request: api, version, u8 length, body */
			if (i + 3 > size)
				goto done;
			int a = data[i] % (int)(sizeof(apis) / sizeof(apis[0]));
			int16_t v = (int16_t)(data[i + 1] % (max_version[a] + 1));
			size_t len = data[i + 2];
			i += 3;
			if (len > size - i)
				len = size - i;
			struct gc_reply to = {
			    .req_id = next_req++, .api_key = apis[a], .version = v};
			if (gc_handle(&g, now, &to, data + i, len, "fuzz", "/127.0.0.1") == 0)
				accepted[to.req_id] = 1;
			i += len;
			break;
		}
		case 3: /* time passes */
			if (i < size)
				now += (int64_t)data[i++] * 97;
			gc_tick(&g, now);
			break;
		case 4:
			commit_all(&g, &index, false);
			break;
		case 5:
			commit_all(&g, &index, true);
			break;
		case 6: { /* an arbitrary record: u8 key length, key, u8 value length (255 = null)
			   */
			if (i + 2 > size)
				goto done;
			size_t kl = data[i++];
			if (kl > size - i)
				kl = size - i;
			const uint8_t *k = data + i;
			i += kl;
			if (i >= size)
				goto done;
			size_t vl = data[i++];
			const uint8_t *v = vl == 255 ? NULL : data + i;
			if (v && vl > size - i)
				vl = size - i;
			gc_apply_record(&g, k, (int32_t)kl, v, v ? (int32_t)vl : -1);
			if (v)
				i += vl;
			break;
		}
		case 7: /* leadership moves away and back */
			gc_step_down(&g);
			gc_lead(&g);
			gc_loaded(&g, now);
			break;
		}
	}
done:
	gc_step_down(&g);
	for (uint64_t r = 1; r < next_req; r++)
		if (accepted[r] && answered[r] != 1) {
			fprintf(stderr, "fuzz_group_coord: request %llu answered %d times\n",
				(unsigned long long)r, answered[r]);
			abort();
		}
	gc_close(&g);
	return 0;
}
