#!/usr/bin/python3
"""test_bad_input.py - bad input gets a clear Kafka error or closes only the
offending connection, and never disturbs other clients or loses data:
oversized and negative frame sizes, unsupported API keys and versions (with
ApiVersions' v0 error layout), an API fjord does not serve (answered
UNSUPPORTED_VERSION), unknown topics, a batch with a bad CRC, and truncated
or garbled requests."""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
import wire  # noqa: E402

PORT_BASE = int(os.environ.get("FJORD_IT_PORT_BASE", "29400"))
TOPIC = "bad"

UNSUPPORTED_VERSION = 35
UNKNOWN_TOPIC_OR_PARTITION = 3
CORRUPT_MESSAGE = 2


def healthy(node):
    """A separate, well-behaved client is served normally."""
    c = wire.Conn(node.port)
    try:
        brokers, topics = wire.metadata_v1(c, [TOPIC])
        assert brokers == [(1, "127.0.0.1", node.port)], brokers
        assert topics[0][0] == TOPIC and topics[0][1] == 0, topics
        assert sorted(p[0] for p in topics[0][2]) == [0, 1], topics
    finally:
        c.close()


def test():
    # Unknown topics must stay unknown here: Metadata v0-3 would otherwise
    # create them (auto_create_topics; test_controller covers that).
    node = harness.Node("bad", PORT_BASE, {TOPIC: 2}, extra="[kafka]\nauto_create_topics = 0\n")
    try:
        node.start()
        node.wait_serving(TOPIC, 2)
        bystander = wire.Conn(node.port)

        # Frame larger than socket_request_max_bytes: refused, connection closed.
        c = wire.Conn(node.port)
        c.send_raw(struct.pack(">i", 200 * 1024 * 1024) + b"\x00" * 64)
        assert c.closed_by_peer(), "oversized frame did not close the connection"
        c.close()
        c = wire.Conn(node.port)
        c.send_raw(struct.pack(">i", -5))
        assert c.closed_by_peer(), "negative frame size did not close the connection"
        c.close()
        healthy(node)

        # ApiVersions at a version we do not serve: v0 layout, error 35,
        # ApiKeys holding only ApiVersions' own range, response header v0.
        c = wire.Conn(node.port)
        corr = c.request(18, 99, b"")
        resp = c.recv_frame()
        r = wire.Reader(resp)
        assert r.take("i") == corr
        assert r.take("h") == UNSUPPORTED_VERSION
        assert r.take("i") == 1
        assert r.take("hhh") == (18, 0, 4)
        assert r.left() == 0, "trailing bytes after the v0 ApiVersions error body: %r" % resp
        # The connection stays usable.
        brokers, _ = wire.metadata_v1(c, [TOPIC])
        assert brokers[0][0] == 1
        c.close()

        # A served API at a version below our range: UNSUPPORTED_VERSION.
        c = wire.Conn(node.port)
        res = wire.list_offsets(c, TOPIC, 0, -1, version=0)
        assert res == [(TOPIC, 0, UNSUPPORTED_VERSION, [])], res
        c.close()

        # An API the schemas know but fjord does not serve (SaslHandshake
        # v1: mechanism "PLAIN"): its own response layout with
        # UNSUPPORTED_VERSION and defaults, and the connection stays usable.
        c = wire.Conn(node.port)
        corr = c.request(17, 1, wire.s16("PLAIN"))
        resp = c.recv_frame()
        assert resp is not None, "SaslHandshake v1 closed the connection"
        r = wire.Reader(resp)
        assert r.take("i") == corr
        assert r.take("h") == UNSUPPORTED_VERSION
        assert r.take("i") == 0, "mechanisms"
        assert r.left() == 0, "trailing bytes after the SaslHandshake v1 body: %r" % resp
        brokers, topics = wire.metadata_v1(c, [TOPIC])
        assert brokers == [(1, "127.0.0.1", node.port)], brokers
        assert topics[0][0] == TOPIC and topics[0][1] == 0, topics
        c.close()

        # An API key nobody serves: the connection is closed, others unaffected.
        c = wire.Conn(node.port)
        c.request(999, 0, b"")
        assert c.closed_by_peer(), "unknown api key did not close the connection"
        c.close()

        # Unknown topic: UNKNOWN_TOPIC_OR_PARTITION from Metadata and Produce.
        c = wire.Conn(node.port)
        _, topics = wire.metadata_v1(c, ["nope"])
        assert topics == [("nope", UNKNOWN_TOPIC_OR_PARTITION, [])], topics
        res = wire.produce_v3(c, "nope", 0, wire.record_batch([b"x"]))
        assert res == [("nope", 0, UNKNOWN_TOPIC_OR_PARTITION, -1)], res
        res = wire.produce_v3(c, TOPIC, 7, wire.record_batch([b"x"]))
        assert res[0][2] == UNKNOWN_TOPIC_OR_PARTITION, res

        # Bad CRC: CORRUPT_MESSAGE and nothing stored.
        res = wire.produce_v3(c, TOPIC, 0, wire.record_batch([b"a", b"b"], corrupt_crc=True))
        assert res[0][2] == CORRUPT_MESSAGE, res
        assert wire.list_offsets(c, TOPIC, 0, -1) == [(TOPIC, 0, 0, 0)]
        res = wire.produce_v3(c, TOPIC, 0, wire.record_batch([b"a", b"b"]))
        assert res == [(TOPIC, 0, 0, 0)], res
        res = wire.produce_v3(c, TOPIC, 0, wire.record_batch([b"c"]))
        assert res == [(TOPIC, 0, 0, 2)], res
        assert wire.list_offsets(c, TOPIC, 0, -1) == [(TOPIC, 0, 0, 3)]
        assert wire.list_offsets(c, TOPIC, 0, -2) == [(TOPIC, 0, 0, 0)]
        c.close()

        # Truncated request (header cut inside client id) and garbage: closed.
        c = wire.Conn(node.port)
        body = struct.pack(">hhih", 3, 1, 5, 40) + b"short"
        c.send_raw(struct.pack(">i", len(body)) + body)
        assert c.closed_by_peer(), "truncated header did not close the connection"
        c.close()
        c = wire.Conn(node.port)
        junk = bytes(range(256)) * 4
        c.send_raw(struct.pack(">i", len(junk)) + junk)
        assert c.closed_by_peer(), "garbage did not close the connection"
        c.close()
        c = wire.Conn(node.port)
        # Metadata v1 whose topic array claims 1,000,000 entries in 8 bytes.
        body = struct.pack(">hhi", 3, 1, 9) + wire.s16("x") + struct.pack(">i", 1000000) + b"ab"
        c.send_raw(struct.pack(">i", len(body)) + body)
        assert c.closed_by_peer(), "hostile array count did not close the connection"
        c.close()

        # The bystander connection opened at the start still works.
        brokers, _ = wire.metadata_v1(bystander, [TOPIC])
        assert brokers[0][0] == 1
        bystander.close()
        healthy(node)
        assert node.proc.poll() is None, "supervisor died"
    except Exception:
        print(node.tail(), file=sys.stderr)
        raise
    finally:
        node.cleanup()


if __name__ == "__main__":
    harness.run(test, "bad_input")
