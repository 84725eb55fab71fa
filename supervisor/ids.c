/* ids.c - topic UUIDs and the cluster id as hashes of stable inputs. */
#include "ids.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "common/clock.h"

#include "common/fnv.h"

/* splitmix64's finaliser: spreads FNV's weak low-entropy inputs. */
static uint64_t mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void hash128(const char *domain, const void *p, size_t len, uint8_t out[16])
{
	uint64_t a = fnv1a64(fnv1a64(FNV64_OFFSET, domain, strlen(domain)), p, len);
	uint64_t b = fnv1a64(fnv1a64(0x84222325cbf29ce4ULL, p, len), domain, strlen(domain));
	a = mix(a);
	b = mix(b ^ a);
	for (int i = 0; i < 8; i++) {
		out[i] = (uint8_t)(a >> (56 - 8 * i));
		out[8 + i] = (uint8_t)(b >> (56 - 8 * i));
	}
	/* A version 4 / RFC 4122 variant layout, as Kafka's random ids have. */
	out[6] = (uint8_t)((out[6] & 0x0f) | 0x40);
	out[8] = (uint8_t)((out[8] & 0x3f) | 0x80);
	/* The top bit clear keeps the first base64 character out of '-' and
	 * '_' (Kafka avoids ids whose string form starts with '-') and the id
	 * away from the zero and reserved (0...01) ids, which have the version
	 * nibble clear anyway. */
	out[0] &= 0x7f;
}

void ids_topic_id(const char *name, size_t len, struct kafka_uuid *out)
{
	hash128("fjord-topic-id", name, len, out->b);
}

const struct config_topic *ids_topic_by_id(const struct config *c, const struct kafka_uuid *id)
{
	for (int i = 0; i < c->n_topics; i++) {
		struct kafka_uuid u;
		ids_topic_id(c->topics[i].name, strlen(c->topics[i].name), &u);
		if (memcmp(u.b, id->b, 16) == 0)
			return &c->topics[i];
	}
	return NULL;
}

void ids_cluster_id(const struct config *c, char *out, size_t out_len)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char input[64];
	uint64_t acc = 0;
	uint8_t h[16];
	if (c->n_peers == 0) {
		int n = snprintf(input, sizeof(input), "node:%d", (int)c->node.id);
		hash128("fjord-cluster-id", input, (size_t)n, h);
	} else {
		/* Peers are sorted by id, so every node hashes the same list. */
		for (int i = 0; i < c->n_peers; i++) {
			int n = snprintf(input, sizeof(input), "%d,", (int)c->peers[i].id);
			acc = fnv1a64(acc ? acc : FNV64_OFFSET, input, (size_t)n);
		}
		hash128("fjord-cluster-id", &acc, sizeof(acc), h);
	}
	/* 128 bits in 22 base64 characters, no padding. */
	char s[23];
	int bits = 0, nbits = 0, o = 0;
	for (int i = 0; i < 16; i++) {
		bits = ((bits << 8) | h[i]) & 0xffff; /* at most 13 bits are pending */
		nbits += 8;
		while (nbits >= 6) {
			s[o++] = b64[(bits >> (nbits - 6)) & 63];
			nbits -= 6;
		}
	}
	if (nbits > 0)
		s[o++] = b64[(bits << (6 - nbits)) & 63];
	s[o] = '\0';
	snprintf(out, out_len, "%s", s);
}

void ids_random_topic_id(uint8_t id[16])
{
	if (getrandom(id, 16, 0) != 16) {
		/* Not expected (the kernel's pool is ready long before a
		 * supervisor runs); the clock and pid still give an id no
		 * topic of this cluster has. */
		uint64_t a = (uint64_t)clock_wall_ns() ^ ((uint64_t)getpid() << 32);
		hash128("fjord-random-id", &a, sizeof(a), id);
		return;
	}
	id[6] = (uint8_t)((id[6] & 0x0f) | 0x40);
	id[8] = (uint8_t)((id[8] & 0x3f) | 0x80);
	id[0] &= 0x7f;
}
