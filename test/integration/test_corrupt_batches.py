#!/usr/bin/python3
"""test_corrupt_batches.py - a compressed batch is decoded and its records
walked before anything is stored.

Over the wire, with a valid CRC: garbage and empty gzip/snappy/lz4/zstd
payloads, a gzip stream of something other than records, a truncated gzip
stream, records with a wrong count or offset deltas, and a gzip bomb. Each
gets its Kafka error (CORRUPT_MESSAGE, INVALID_RECORD, MESSAGE_TOO_LARGE)
and moves nothing. Valid batches from librdkafka and kcat with every codec,
produced before and after, and one gzip batch built here, are all read back
by librdkafka and kcat with their content at their acknowledged offsets."""
import gzip
import os
import random
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
import clients  # noqa: E402
import harness  # noqa: E402
import records  # noqa: E402
import wire  # noqa: E402

PORT_BASE = int(os.environ.get("FJORD_IT_PORT_BASE", "29430"))
TOPIC = "cz"
CODECS = {"gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}

NONE = 0
CORRUPT_MESSAGE = 2
MESSAGE_TOO_LARGE = 10
INVALID_RECORD = 87


def latest(conn):
    res = wire.list_offsets(conn, TOPIC, 0, -1)
    assert res[0][2] == NONE, res
    return res[0][3]


def produce_clients(node, tag, expected):
    """Produces with librdkafka and kcat using every codec; records each
    value at the offset it was acknowledged at."""
    conn = wire.Conn(node.port)
    try:
        for codec in CODECS:
            run = "%s-rd-%s" % (tag, codec)
            recs = records.make(run, 150, size=120)
            delivered, errors = clients.rdkafka_produce(
                node.bootstrap, TOPIC, recs, -1, extra={"compression.codec": codec})
            assert not errors, errors
            assert len(delivered) == len(recs), (len(delivered), len(recs))
            for (_, off, value) in delivered:
                assert off not in expected, "offset %d acknowledged twice" % off
                expected[off] = value
            # kcat reports no offsets: its records, in order, fill what the
            # log end moved over (one partition, nothing else producing).
            run = "%s-kc-%s" % (tag, codec)
            recs = records.make(run, 40, size=80, seq_header=False)
            before = latest(conn)
            argv = ["kcat", "-P", "-b", node.bootstrap, "-t", TOPIC, "-K", "\t", "-z", codec,
                    "-X", "acks=-1", "-X", "linger.ms=5"]
            data = "".join("%s\t%s\n" % (k, v) for k, v, _ in recs)
            r = subprocess.run(argv, input=data, capture_output=True, text=True, timeout=120)
            assert r.returncode == 0, r.stderr[-2000:]
            after = latest(conn)
            assert after - before == len(recs), (before, after, len(recs))
            for i, (_, v, _) in enumerate(recs):
                expected[before + i] = v
    finally:
        conn.close()


def check_consumed(recs, expected, who):
    offs = sorted(r[1] for r in recs)
    assert offs == list(range(len(expected))), \
        "%s: offsets %r... not 0..%d" % (who, offs[:10], len(expected) - 1)
    for (_, off, _, value, _) in recs:
        assert value == expected[off], "%s: offset %d holds %r, acknowledged %r" % (
            who, off, value[:40], expected[off][:40])


def bad_batches():
    """(what, batch bytes, Kafka error): each under a valid CRC."""
    rnd = random.Random(9)
    good = wire.records([b"alpha", b"beta"])
    out = []
    for name, codec in CODECS.items():
        junk = bytes(rnd.getrandbits(8) for _ in range(300))
        out.append(("garbage %s" % name, wire.batch(junk, 2, codec), CORRUPT_MESSAGE))
        out.append(("empty %s" % name, wire.batch(b"", 2, codec), CORRUPT_MESSAGE))
    out.append(("gzip of no records", wire.batch(gzip.compress(b"not records at all"), 1, 1),
                CORRUPT_MESSAGE))
    out.append(("truncated gzip", wire.batch(gzip.compress(good)[:-6], 2, 1), CORRUPT_MESSAGE))
    out.append(("gzip, count above its records", wire.batch(gzip.compress(good), 3, 1),
                CORRUPT_MESSAGE))
    out.append(("gzip, offset deltas 0, 5",
                wire.batch(gzip.compress(wire.records([b"a", b"b"], deltas=[0, 5])), 2, 1),
                INVALID_RECORD))
    out.append(("codec 6", wire.batch(good, 2, 6), CORRUPT_MESSAGE))
    # 80 MiB of one value: past 64 x max_message_bytes (1 MiB), ~80 KB sent.
    bomb = gzip.compress(wire.records([bytes(80 << 20)]), compresslevel=1)
    out.append(("gzip bomb", wire.batch(bomb, 1, 1), MESSAGE_TOO_LARGE))
    return out


def test():
    node = harness.Node("corrupt", PORT_BASE, {TOPIC: 1})
    try:
        node.start()
        node.wait_serving(TOPIC, 1)
        expected = {}
        produce_clients(node, "before", expected)

        conn = wire.Conn(node.port, timeout=20)
        end = latest(conn)
        for what, batch, err in bad_batches():
            res = wire.produce_v3(conn, TOPIC, 0, batch)
            assert res == [(TOPIC, 0, err, -1)], "%s: %r, expected error %d" % (what, res, err)
            assert latest(conn) == end, "%s moved the log end" % what
            harness.log("%s: error %d, nothing stored" % (what, err))
        # A gzip batch built here is taken: the path above can say yes.
        vals = [b"wire-0", b"wire-1", b"wire-2"]
        res = wire.produce_v3(conn, TOPIC, 0,
                             wire.batch(gzip.compress(wire.records(vals, key=b"w")), 3, 1))
        assert res == [(TOPIC, 0, NONE, end)], res
        for i, v in enumerate(vals):
            expected[end + i] = v.decode()
        conn.close()

        produce_clients(node, "after", expected)
        total = len(expected)
        got = clients.rdkafka_consume(node.bootstrap, TOPIC, 1, total, timeout=60)
        check_consumed(got, expected, "librdkafka")
        got = clients.kcat_consume(node.bootstrap, TOPIC, total, timeout=60)
        check_consumed(got, expected, "kcat")
        harness.log("%d records at their acknowledged offsets, read by librdkafka and kcat" %
                    total)
    except Exception:
        harness.log("node log:\n" + node.tail())
        raise
    finally:
        node.cleanup()


if __name__ == "__main__":
    harness.run(test, "corrupt_batches")
