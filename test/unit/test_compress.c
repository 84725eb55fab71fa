/* test_compress.c - decoding batch payloads: every codec round-trips what
 * the libraries encode (snappy raw and Xerial-framed), and garbage, empty,
 * truncated or padded payloads and decompression bombs are refused. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_getFrameHeader */
#include <zstd.h>

#include "batch_builder.h"
#include "check_main.h"
#include "common/buf.h"
#include "common/compress.h"
#include "common/err.h"

/* The encoders under test, one per loop iteration. */
static const int hows[] = {TB_GZIP, TB_SNAPPY_RAW, TB_SNAPPY_XERIAL, TB_LZ4, TB_ZSTD};
#define N_HOWS 5

/* n bytes that compress somewhat: words from a small alphabet. */
static uint8_t *text(size_t n, uint32_t seed)
{
	uint8_t *p = malloc(n);
	ck_assert_ptr_nonnull(p);
	uint32_t x = seed | 1;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (x & 7) == 0 ? ' ' : (uint8_t)('a' + (x >> 8) % 6);
	}
	return p;
}

START_TEST(each_codec_decodes_what_its_library_encoded)
{
	int how = hows[_i];
	/* 1 byte, under one chunk, several chunks (the streaming path) and
	 * several Xerial blocks. */
	const size_t sizes[] = {1, 1000, 200 * 1000};
	for (size_t k = 0; k < 3; k++) {
		uint8_t *in = text(sizes[k], (uint32_t)(k + 7));
		struct buf enc, dec;
		buf_init(&enc);
		buf_init(&dec);
		tb_encode(how, in, sizes[k], &enc);
		ck_assert_int_eq(
		    compress_decompress(tb_codec(how), enc.data, enc.len, 1 << 20, &dec), 0);
		ck_assert_uint_eq(dec.len, sizes[k]);
		ck_assert_mem_eq(dec.data, in, sizes[k]);
		buf_free(&enc);
		buf_free(&dec);
		free(in);
	}
}
END_TEST

START_TEST(an_empty_payload_is_corrupt_for_every_codec)
{
	struct buf dec;
	buf_init(&dec);
	static const uint8_t none[1];
	ck_assert_int_eq(compress_decompress(tb_codec(hows[_i]), none, 0, 1 << 20, &dec),
			 ERR_CORRUPT);
	ck_assert_uint_eq(dec.len, 0);
	buf_free(&dec);
}
END_TEST

START_TEST(garbage_payloads_are_corrupt_for_every_codec)
{
	int codec = tb_codec(hows[_i]);
	uint8_t junk[512];
	uint32_t x = 99;
	int corrupt = 0;
	for (int round = 0; round < 200; round++) {
		size_t n = 1 + (size_t)round * 2;
		for (size_t i = 0; i < n; i++) {
			x = x * 1103515245u + 12345u;
			junk[i] = (uint8_t)(x >> 16);
		}
		struct buf dec;
		buf_init(&dec);
		int rc = compress_decompress(codec, junk, n, 1 << 20, &dec);
		/* Random bytes almost never form a valid stream; when they
		 * happen to, the decoder must still have stopped cleanly. */
		ck_assert(rc == 0 || rc == ERR_CORRUPT);
		corrupt += rc == ERR_CORRUPT;
		buf_free(&dec);
	}
	ck_assert_int_ge(corrupt, 195);
}
END_TEST

START_TEST(a_truncated_or_padded_stream_is_corrupt)
{
	int how = hows[_i];
	uint8_t *in = text(5000, 3);
	struct buf enc, dec;
	buf_init(&enc);
	buf_init(&dec);
	tb_encode(how, in, 5000, &enc);
	/* Every cut of the stream short of its end. */
	for (size_t cut = 0; cut < enc.len; cut += 1 + cut / 8) {
		buf_reset(&dec);
		int rc = compress_decompress(tb_codec(how), enc.data, cut, 1 << 20, &dec);
		if (how == TB_SNAPPY_XERIAL && cut == 16) {
			/* The bare Xerial header is a stream of no blocks. */
			ck_assert_int_eq(rc, 0);
			ck_assert_uint_eq(dec.len, 0);
			continue;
		}
		ck_assert_msg(rc == ERR_CORRUPT, "cut at %zu of %zu: %d", cut, enc.len, rc);
	}
	/* Bytes after a complete stream that are not another stream. */
	buf_put(&enc, "\x01\x02\x03\x04\x05", 5);
	buf_reset(&dec);
	ck_assert_int_eq(compress_decompress(tb_codec(how), enc.data, enc.len, 1 << 20, &dec),
			 ERR_CORRUPT);
	buf_free(&enc);
	buf_free(&dec);
	free(in);
}
END_TEST

START_TEST(a_bomb_stops_at_the_output_limit)
{
	int how = hows[_i];
	/* 8 MiB of zeros: kilobytes compressed (snappy: ~400 KB). */
	size_t n = 8u << 20;
	uint8_t *zeros = calloc(1, n);
	ck_assert_ptr_nonnull(zeros);
	struct buf enc, dec;
	buf_init(&enc);
	buf_init(&dec);
	tb_encode(how, zeros, n, &enc);
	ck_assert_uint_lt(enc.len, n / 16);
	ck_assert_int_eq(compress_decompress(tb_codec(how), enc.data, enc.len, 1 << 20, &dec),
			 ERR_TOOBIG);
	ck_assert_uint_le(dec.len, 1 << 20);
	/* Exactly at the limit is fine. */
	buf_reset(&dec);
	ck_assert_int_eq(compress_decompress(tb_codec(how), enc.data, enc.len, n, &dec), 0);
	ck_assert_uint_eq(dec.len, n);
	buf_free(&enc);
	buf_free(&dec);
	free(zeros);
}
END_TEST

START_TEST(a_snappy_block_claiming_more_than_it_can_hold_is_refused_before_allocating)
{
	/* Raw snappy opens with the uncompressed length as a varint: claim
	 * 1 GiB in a 10-byte block. */
	uint8_t p[10] = {0x80, 0x80, 0x80, 0x80, 0x04, 0, 0, 0, 0, 0};
	struct buf dec;
	buf_init(&dec);
	ck_assert_int_eq(compress_decompress(COMPRESS_SNAPPY, p, sizeof(p), UINT64_MAX, &dec),
			 ERR_CORRUPT);
	ck_assert_int_eq(compress_decompress(COMPRESS_SNAPPY, p, sizeof(p), 1 << 20, &dec),
			 ERR_CORRUPT);
	buf_free(&dec);
}
END_TEST

START_TEST(unknown_codecs_are_unsupported)
{
	struct compress_stream *s = (void *)1;
	const uint8_t p[4] = {1, 2, 3, 4};
	for (int c = 5; c <= 7; c++) {
		ck_assert_int_eq(compress_stream_open(&s, c, p, 4, 100), ERR_UNSUPPORTED);
		ck_assert_ptr_null(s);
	}
	ck_assert_int_eq(compress_stream_open(&s, COMPRESS_NONE, p, 4, 100), ERR_UNSUPPORTED);
}
END_TEST

START_TEST(concatenated_gzip_members_and_zstd_frames_decode_in_order)
{
	const int cat[] = {TB_GZIP, TB_ZSTD, TB_LZ4};
	for (int k = 0; k < 3; k++) {
		struct buf enc, dec;
		buf_init(&enc);
		buf_init(&dec);
		tb_encode(cat[k], (const uint8_t *)"first,", 6, &enc);
		tb_encode(cat[k], (const uint8_t *)"second", 6, &enc);
		ck_assert_int_eq(compress_decompress(cat[k], enc.data, enc.len, 100, &dec), 0);
		ck_assert_uint_eq(dec.len, 12);
		ck_assert_mem_eq(dec.data, "first,second", 12);
		buf_free(&enc);
		buf_free(&dec);
	}
}
END_TEST

START_TEST(a_stream_after_a_failed_one_decodes_cleanly)
{
	/* Closed streams are reused: a failure must leave nothing behind. */
	int how = hows[_i];
	uint8_t *in = text(70000, 5);
	struct buf enc, dec;
	buf_init(&enc);
	buf_init(&dec);
	tb_encode(how, in, 70000, &enc);
	for (int round = 0; round < 3; round++) {
		buf_reset(&dec);
		ck_assert_int_eq(
		    compress_decompress(tb_codec(how), enc.data, enc.len / 2, 1 << 20, &dec),
		    ERR_CORRUPT);
		buf_reset(&dec);
		ck_assert_int_eq(compress_decompress(tb_codec(how), enc.data, enc.len, 1000, &dec),
				 ERR_TOOBIG);
		/* Left open half-read, then closed. */
		struct compress_stream *s;
		const uint8_t *p;
		size_t n;
		ck_assert_int_eq(
		    compress_stream_open(&s, tb_codec(how), enc.data, enc.len, 1 << 20), 0);
		ck_assert_int_eq(compress_stream_read(s, &p, &n), 1);
		compress_stream_close(s);
		buf_reset(&dec);
		ck_assert_int_eq(
		    compress_decompress(tb_codec(how), enc.data, enc.len, 1 << 20, &dec), 0);
		ck_assert_uint_eq(dec.len, 70000);
		ck_assert_mem_eq(dec.data, in, 70000);
	}
	buf_free(&enc);
	buf_free(&dec);
	free(in);
}
END_TEST

START_TEST(a_zstd_frame_declaring_a_large_window_decodes_under_a_small_limit)
{
	/* As zstd-jni streams: the size is unknown when the frame starts, so
	 * the frame declares level 3's 2 MiB window over 5 bytes. */
	ZSTD_CCtx *c = ZSTD_createCCtx();
	ck_assert_ptr_nonnull(c);
	uint8_t dst[256];
	ZSTD_outBuffer out = {dst, sizeof(dst), 0};
	ZSTD_inBuffer in = {"hello", 5, 0};
	ck_assert(!ZSTD_isError(ZSTD_compressStream2(c, &out, &in, ZSTD_e_continue)));
	ZSTD_inBuffer none = {NULL, 0, 0};
	ck_assert_uint_eq(ZSTD_compressStream2(c, &out, &none, ZSTD_e_end), 0);
	ZSTD_freeCCtx(c);
	ZSTD_frameHeader fh;
	ck_assert_uint_eq(ZSTD_getFrameHeader(&fh, dst, out.pos), 0);
	ck_assert_uint_ge(fh.windowSize, 1u << 20);
	struct buf dec;
	buf_init(&dec);
	ck_assert_int_eq(compress_decompress(COMPRESS_ZSTD, dst, out.pos, 1000, &dec), 0);
	ck_assert_uint_eq(dec.len, 5);
	ck_assert_mem_eq(dec.data, "hello", 5);
	buf_free(&dec);
}
END_TEST

static Suite *compress_suite(void)
{
	Suite *s = suite_create("compress");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, each_codec_decodes_what_its_library_encoded, 0, N_HOWS);
	tcase_add_loop_test(tc, an_empty_payload_is_corrupt_for_every_codec, 0, N_HOWS);
	tcase_add_loop_test(tc, garbage_payloads_are_corrupt_for_every_codec, 0, N_HOWS);
	tcase_add_loop_test(tc, a_truncated_or_padded_stream_is_corrupt, 0, N_HOWS);
	tcase_add_loop_test(tc, a_bomb_stops_at_the_output_limit, 0, N_HOWS);
	tcase_add_test(tc,
		       a_snappy_block_claiming_more_than_it_can_hold_is_refused_before_allocating);
	tcase_add_loop_test(tc, a_stream_after_a_failed_one_decodes_cleanly, 0, N_HOWS);
	tcase_add_test(tc, a_zstd_frame_declaring_a_large_window_decodes_under_a_small_limit);
	tcase_add_test(tc, unknown_codecs_are_unsupported);
	tcase_add_test(tc, concatenated_gzip_members_and_zstd_frames_decode_in_order);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(compress_suite)
