/* compress.c - streaming decompression of record batch payloads (see
 * compress.h) over zlib, libsnappy, liblz4's frame API and libzstd.
 *
 * Each codec fills the same pull interface: the streaming ones decode into
 * a fixed CHUNK-byte buffer, snappy (which has no streaming C API) decodes
 * one raw block at a time. Errors are sticky: once a stream failed, every
 * later read returns the same error. The output cap is checked on every
 * chunk, before snappy allocates and, for zstd, through the largest window
 * the decoder may allocate. A closed stream is kept for the next one (see
 * cache below). */
#include "compress.h"

#include <lz4frame.h>
#include <snappy-c.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "buf.h"
#include "err.h"

#define CHUNK (64 * 1024)

/* A snappy copy op emits at most 64 bytes from 3 input bytes (literals
 * emit less than they take), so no valid block expands more than this. */
#define SNAPPY_MAX_RATIO 22

/* The Xerial framing the Java client wraps snappy in: magic, version and
 * compatible version (both big-endian int32), then blocks, each a
 * big-endian int32 length and that many bytes of raw snappy. */
static const uint8_t XERIAL_MAGIC[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
#define XERIAL_HEADER_LEN 16

struct compress_stream {
	int codec;
	const uint8_t *in;
	size_t in_len, in_pos;
	uint64_t max_out, total;
	int err; /* sticky: the error that ended the stream */
	bool done;
	uint8_t *out; /* CHUNK bytes, or snappy's block */
	size_t out_cap;
	z_stream z;
	bool z_up;
	ZSTD_DCtx *zstd;
	LZ4F_dctx *lz4;
	size_t last_hint; /* zstd and lz4: 0 when the last frame ended */
	bool xerial;
};

/* --- gzip ----------------------------------------------------------------- */

static int gzip_read(struct compress_stream *s, size_t *n)
{
	for (;;) {
		if (s->done)
			return 0;
		s->z.next_out = s->out;
		s->z.avail_out = CHUNK;
		int rc = inflate(&s->z, Z_NO_FLUSH);
		size_t got = CHUNK - s->z.avail_out;
		if (rc == Z_STREAM_END) {
			/* Another gzip member may follow, as GZIPInputStream
			 * allows; anything that is not one fails below. */
			if (s->z.avail_in > 0) {
				if (inflateReset(&s->z) != Z_OK)
					return ERR_CORRUPT;
			} else {
				s->done = true;
			}
		} else if (rc == Z_MEM_ERROR) {
			return ERR_NOMEM;
		} else if (rc == Z_BUF_ERROR) {
			/* No progress possible: the input ended mid-stream. */
			if (got == 0)
				return ERR_CORRUPT;
		} else if (rc != Z_OK) {
			return ERR_CORRUPT;
		}
		if (got > 0) {
			*n = got;
			return 1;
		}
	}
}

/* --- zstd and lz4: frames until the input ends ---------------------------- */

static int zstd_read(struct compress_stream *s, size_t *n)
{
	for (;;) {
		if (s->in_pos == s->in_len)
			/* The end is clean only after a whole frame. */
			return s->last_hint == 0 ? 0 : ERR_CORRUPT;
		ZSTD_inBuffer in = {s->in, s->in_len, s->in_pos};
		ZSTD_outBuffer out = {s->out, CHUNK, 0};
		size_t rc = ZSTD_decompressStream(s->zstd, &out, &in);
		if (ZSTD_isError(rc)) {
			ZSTD_ErrorCode e = ZSTD_getErrorCode(rc);
			if (e == ZSTD_error_memory_allocation)
				return ERR_NOMEM;
			return e == ZSTD_error_frameParameter_windowTooLarge ? ERR_TOOBIG
									     : ERR_CORRUPT;
		}
		bool progress = in.pos != s->in_pos || out.pos > 0;
		s->in_pos = in.pos;
		s->last_hint = rc;
		if (out.pos > 0) {
			*n = out.pos;
			return 1;
		}
		if (!progress)
			return ERR_CORRUPT;
	}
}

static int lz4_read(struct compress_stream *s, size_t *n)
{
	for (;;) {
		if (s->in_pos == s->in_len)
			return s->last_hint == 0 ? 0 : ERR_CORRUPT;
		size_t dst = CHUNK, src = s->in_len - s->in_pos;
		size_t rc = LZ4F_decompress(s->lz4, s->out, &dst, s->in + s->in_pos, &src, NULL);
		if (LZ4F_isError(rc))
			return ERR_CORRUPT;
		s->in_pos += src;
		s->last_hint = rc;
		if (dst > 0) {
			*n = dst;
			return 1;
		}
		if (src == 0)
			return ERR_CORRUPT;
	}
}

/* --- snappy --------------------------------------------------------------- */

/* Decodes one raw snappy block p[0..len) into s->out. */
static int snappy_block(struct compress_stream *s, const uint8_t *p, size_t len, size_t *n)
{
	size_t ulen;
	if (len == 0 || snappy_uncompressed_length((const char *)p, len, &ulen) != SNAPPY_OK)
		return ERR_CORRUPT;
	if ((uint64_t)ulen > (uint64_t)len * SNAPPY_MAX_RATIO)
		return ERR_CORRUPT; /* claims more than the bytes can hold */
	if (s->total + ulen > s->max_out)
		return ERR_TOOBIG;
	if (ulen > s->out_cap) {
		uint8_t *b = realloc(s->out, ulen);
		if (b == NULL)
			return ERR_NOMEM;
		s->out = b;
		s->out_cap = ulen;
	}
	size_t got = ulen;
	if (snappy_uncompress((const char *)p, len, (char *)s->out, &got) != SNAPPY_OK ||
	    got != ulen)
		return ERR_CORRUPT;
	*n = got;
	return 1;
}

static int snappy_read(struct compress_stream *s, size_t *n)
{
	for (;;) {
		size_t left = s->in_len - s->in_pos;
		if (!s->xerial) {
			/* Raw snappy: the whole payload is one block. */
			if (s->done)
				return 0;
			s->done = true;
			s->in_pos = s->in_len;
			return snappy_block(s, s->in, left, n);
		}
		if (left == 0)
			return 0;
		if (left < 4)
			return ERR_CORRUPT;
		uint32_t blen = be32_load(s->in + s->in_pos);
		if (blen > left - 4)
			return ERR_CORRUPT;
		const uint8_t *p = s->in + s->in_pos + 4;
		s->in_pos += 4 + (size_t)blen;
		int rc = snappy_block(s, p, blen, n);
		if (rc != 1 || *n > 0)
			return rc;
		/* An empty block: nothing to hand out, read the next one. */
	}
}

/* --- the stream ----------------------------------------------------------- */

/* The largest zstd window worth allowing: one that fits the output cap
 * (a frame cannot usefully look further back than it writes), but never
 * under 8 MiB: a streaming compressor that does not know the size ahead
 * (the Java client's zstd-jni) declares its level's window, 2 MiB at the
 * default level 3 and 8 MiB up to level 19, whatever it then writes. */
static int zstd_window_log(uint64_t max_out)
{
	int lg = 23;
	while (lg < 27 && ((uint64_t)1 << lg) < max_out)
		lg++;
	return lg;
}

/* One closed stream per codec is kept for the next batch: creating a zstd
 * context or inflate state costs more than decoding a small batch. fjord
 * has no threads. What a cached stream holds stays small: a stream whose
 * buffers grew past CACHE_MAX_BYTES (a big snappy block, a zstd frame with a
 * large window) is freed instead, and lz4 contexts (which size their
 * buffers by the last frame's block size) are never kept. */
#define CACHE_MAX_BYTES (1u << 20)
static struct compress_stream *cache[COMPRESS_ZSTD + 1];

static void stream_free(struct compress_stream *s)
{
	if (s->z_up)
		inflateEnd(&s->z);
	ZSTD_freeDCtx(s->zstd);
	if (s->lz4)
		LZ4F_freeDecompressionContext(s->lz4);
	free(s->out);
	free(s);
}

/* A cached stream made ready for new input, or NULL. */
static struct compress_stream *cache_take(int codec)
{
	struct compress_stream *s = cache[codec];
	if (s == NULL)
		return NULL;
	cache[codec] = NULL;
	bool ok = true;
	if (s->z_up)
		ok = inflateReset(&s->z) == Z_OK;
	if (s->zstd)
		ok = ok && !ZSTD_isError(ZSTD_DCtx_reset(s->zstd, ZSTD_reset_session_only));
	if (!ok) {
		stream_free(s);
		return NULL;
	}
	return s;
}

int compress_stream_open(struct compress_stream **out, int codec, const uint8_t *in, size_t in_len,
			 uint64_t max_out)
{
	*out = NULL;
	if (codec < COMPRESS_GZIP || codec > COMPRESS_ZSTD)
		return ERR_UNSUPPORTED;
	struct compress_stream *s = cache_take(codec);
	if (s == NULL)
		s = calloc(1, sizeof(*s));
	if (s == NULL)
		return ERR_NOMEM;
	s->codec = codec;
	s->in = in;
	s->in_len = in_len;
	s->in_pos = 0;
	s->max_out = max_out;
	s->total = 0;
	s->err = 0;
	s->done = false;
	s->xerial = false;
	s->last_hint = 1; /* nothing decoded yet: an empty input is not a frame */
	int rc = 0;
	if (codec != COMPRESS_SNAPPY && s->out == NULL) {
		s->out = malloc(CHUNK);
		s->out_cap = CHUNK;
		if (s->out == NULL)
			rc = ERR_NOMEM;
	}
	if (rc == 0 && codec == COMPRESS_GZIP) {
		s->z.next_in = (Bytef *)in;
		s->z.avail_in = (uInt)in_len;
		if (in_len > UINT32_MAX)
			rc = ERR_TOOBIG;
		else if (!s->z_up && inflateInit2(&s->z, 15 + 16) != Z_OK) /* gzip only */
			rc = ERR_NOMEM;
		else
			s->z_up = true;
	} else if (rc == 0 && codec == COMPRESS_ZSTD) {
		if (s->zstd == NULL)
			s->zstd = ZSTD_createDCtx();
		if (s->zstd == NULL || ZSTD_isError(ZSTD_DCtx_setParameter(
					   s->zstd, ZSTD_d_windowLogMax, zstd_window_log(max_out))))
			rc = ERR_NOMEM;
	} else if (rc == 0 && codec == COMPRESS_LZ4) {
		if (LZ4F_isError(LZ4F_createDecompressionContext(&s->lz4, LZ4F_VERSION)))
			rc = ERR_NOMEM;
	} else if (rc == 0 && codec == COMPRESS_SNAPPY) {
		if (in_len >= XERIAL_HEADER_LEN && memcmp(in, XERIAL_MAGIC, 8) == 0) {
			s->xerial = true;
			s->in_pos = XERIAL_HEADER_LEN;
		}
	}
	if (rc != 0) {
		stream_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

int compress_stream_read(struct compress_stream *s, const uint8_t **chunk, size_t *n)
{
	if (s->err)
		return s->err;
	int rc;
	*n = 0;
	switch (s->codec) {
	case COMPRESS_GZIP:
		rc = gzip_read(s, n);
		break;
	case COMPRESS_ZSTD:
		rc = zstd_read(s, n);
		break;
	case COMPRESS_LZ4:
		rc = lz4_read(s, n);
		break;
	default:
		rc = snappy_read(s, n);
		break;
	}
	if (rc == 1) {
		if (s->total + *n > s->max_out)
			rc = ERR_TOOBIG;
		else
			s->total += *n;
	}
	if (rc < 0) {
		s->err = rc;
		return rc;
	}
	*chunk = s->out;
	return rc;
}

void compress_stream_close(struct compress_stream *s)
{
	if (s == NULL)
		return;
	if (s->lz4) {
		LZ4F_freeDecompressionContext(s->lz4);
		s->lz4 = NULL;
	}
	size_t held = s->out_cap + (s->zstd ? ZSTD_sizeof_DCtx(s->zstd) : 0);
	if (cache[s->codec] != NULL || held > CACHE_MAX_BYTES) {
		stream_free(s);
		return;
	}
	s->in = NULL;
	cache[s->codec] = s;
}

int compress_decompress(int codec, const uint8_t *in, size_t in_len, uint64_t max_out,
			struct buf *out)
{
	struct compress_stream *s;
	int rc = compress_stream_open(&s, codec, in, in_len, max_out);
	if (rc != 0)
		return rc;
	const uint8_t *p;
	size_t n;
	while ((rc = compress_stream_read(s, &p, &n)) == 1) {
		buf_put(out, p, n);
		if (out->oom) {
			rc = ERR_NOMEM;
			break;
		}
	}
	compress_stream_close(s);
	return rc;
}
