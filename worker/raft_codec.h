/* raft_codec.h - the wire encoding of Raft messages between peer workers.
 *
 * A message is one msgpack array (one frame on the peer connection):
 *   [version=1, type, from, to, term, index, log_term, commit, flags,
 *    hint_index, hint_term, [[term, kind, data(bin)], ...], snapshot(bin)]
 * flags: bit 0 reject, bit 1 force. Entry i of an APPEND has index
 * `index + 1 + i`, so indexes are not sent. Integers are unsigned; any other
 * msgpack type, extra bytes or wrong arity is malformed. */
#ifndef FJORD_RAFT_CODEC_H
#define FJORD_RAFT_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "worker/raft/raft.h"

struct arena;
struct buf;

#define RAFT_CODEC_VERSION 1

/* Appends the encoding of *m (borrowed) to out. Returns 0, ERR_INVALID (bad
 * type, or entries not numbered index + 1 + i) or ERR_NOMEM. */
int raft_codec_encode(const struct raft_message *m, struct buf *out);

/* Receives the encoding piece by piece, in order; an entry's or snapshot's
 * bytes come as one piece of their own, borrowed for the call. Returns 0, or
 * nonzero to fail the encoding. */
typedef int (*raft_codec_write_cb)(void *ctx, const uint8_t *p, size_t len);

/* Like raft_codec_encode, but hands the encoding to write(ctx, ...) instead
 * of a buffer: a sender can count the bytes first, then put the small pieces
 * into a buffer and the payloads straight into its socket buffer, so a
 * record batch is not copied into an encoding first. Returns 0, ERR_INVALID
 * as above, or ERR_NOMEM when write failed. */
int raft_codec_encode_cb(const struct raft_message *m, raft_codec_write_cb write, void *ctx);

/* Decodes exactly `len` bytes into *out. The entries array is allocated in
 * arena `a`; entry data and snapshot bytes BORROW from `data`, which must
 * outlive *out (no copy: appends carry whole record batches). Returns 0,
 * ERR_INVALID for any malformed input (never reads past len, allocates at
 * most a bounded multiple of len) or ERR_NOMEM. */
int raft_codec_decode(const uint8_t *data, size_t len, struct raft_message *out, struct arena *a);

#endif
