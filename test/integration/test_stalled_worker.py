#!/usr/bin/python3
"""test_stalled_worker.py - one stalled worker must not hold its neighbours
(issue 9, finding 3). SIGSTOP the worker of partition 1, then send one
Produce for partitions 0 and 1 and, pipelined behind it on the same
connection, a Produce for partition 0 alone. Both responses must come back
within the silence bound ([kafka] partition_timeout_ms = 2000, plus the
250 ms sweep and slack), long before the request's timeout + 10 s and
before the worker is let go: partition 0 accepted, partition 1
REQUEST_TIMED_OUT (retriable). While the worker is still stopped a second
Produce is answered at once (it is known silent). After SIGCONT both
partitions work again. Prints the stall measured."""
import os
import signal
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
import wire  # noqa: E402

PORT_BASE = int(os.environ.get("FJORD_IT_PORT_BASE", "29600"))
TOPIC = "stall"
TIMEOUT_MS = 5000
BOUND_S = 2.0  # partition_timeout_ms
REQUEST_TIMED_OUT = 7


def send_produce(conn, parts, value):
    """Sends Produce v3 (acks=1) with one batch per partition; returns the
    correlation id (the response is read by read_produce)."""
    body = wire.s16(None) + struct.pack(">hii", 1, TIMEOUT_MS, 1) + wire.s16(TOPIC)
    body += struct.pack(">i", len(parts))
    for p in parts:
        recs = wire.record_batch([b"%s-%d" % (value, p)])
        body += struct.pack(">i", p) + struct.pack(">i", len(recs)) + recs
    return conn.request(0, 3, body)


def read_produce(conn, corr):
    r = wire.Reader(conn.recv_frame())
    assert r.take("i") == corr, "responses out of order"
    out = {}
    for _ in range(r.take("i")):
        r.string()
        for _ in range(r.take("i")):
            idx, err, base, _lat = r.take("ihqq")
            out[idx] = (err, base)
    return out


def test():
    node = harness.Node("stall", PORT_BASE, {TOPIC: 2},
                        extra="[kafka]\npartition_timeout_ms = %d\n" % int(BOUND_S * 1000))
    try:
        node.start()
        node.wait_serving(TOPIC, 2)
        conn = wire.Conn(node.port, timeout=30)
        res = read_produce(conn, send_produce(conn, [0, 1], b"warm"))
        assert res == {0: (0, 0), 1: (0, 0)}, res

        pid = node.worker_pid(TOPIC, 1)
        os.kill(pid, signal.SIGSTOP)
        try:
            t0 = time.monotonic()
            c1 = send_produce(conn, [0, 1], b"during")
            c2 = send_produce(conn, [0], b"behind")
            r1 = read_produce(conn, c1)
            t1 = time.monotonic() - t0
            r2 = read_produce(conn, c2)
            t2 = time.monotonic() - t0
            harness.log("worker of %s/1 stopped: merged response after %.2f s, the request "
                        "behind it after %.2f s (bound %.1f s, request timeout %.1f s)"
                        % (TOPIC, t1, t2, BOUND_S, TIMEOUT_MS / 1000))
            assert r1[0] == (0, 1), r1
            assert r1[1][0] == REQUEST_TIMED_OUT, r1
            assert r2 == {0: (0, 2)}, r2
            assert t2 < BOUND_S + 1.5, "held %.2f s by a stalled worker" % t2

            # Known silent now: the next request is not held for the bound.
            t0 = time.monotonic()
            r3 = read_produce(conn, send_produce(conn, [0, 1], b"later"))
            t3 = time.monotonic() - t0
            harness.log("while still stopped: answered after %.2f s" % t3)
            assert r3[0] == (0, 3) and r3[1][0] == REQUEST_TIMED_OUT, r3
            assert t3 < 1.0, "held %.2f s by a worker known silent" % t3
        finally:
            os.kill(pid, signal.SIGCONT)

        # Back: its late answers were dropped; both partitions work again.
        def both_ok():
            res = read_produce(conn, send_produce(conn, [0, 1], b"after"))
            return res[0][0] == 0 and res[1][0] == 0
        harness.wait_for("both partitions accepting again", both_ok, 10, 0.2)
        assert harness.alive(node.proc.pid), "the supervisor died"
        conn.close()
    except Exception:
        print(node.tail(), file=sys.stderr)
        raise
    finally:
        node.stop()
        node.cleanup()


if __name__ == "__main__":
    harness.run(test, "stalled worker")
