#!/usr/bin/python3
"""test_idempotence.py - idempotent producers on one node.

1. InitProducerId on the wire: ids carry the node id above bit 40, every
   call gets a new id, a known id/epoch gets the next epoch, a transactional
   id is refused, and the block of ids is reserved on disk first.
2. Produce on the wire with hand-made idempotent batches: a repeated batch
   is answered with its original offset and not stored again (also after a
   node restart, from the state rebuilt from the log), a gap in sequence is
   OUT_OF_ORDER_SEQUENCE_NUMBER, an old epoch INVALID_PRODUCER_EPOCH.
3. librdkafka with enable.idempotence: 10,000 records exactly once, in
   order.
4. The same while two workers are killed with SIGKILL mid-stream:
   every acknowledged record exactly once, in produce order."""
import os
import signal
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
import clients  # noqa: E402
import harness  # noqa: E402
import records  # noqa: E402
import wire  # noqa: E402

PORT_BASE = int(os.environ.get("FJORD_IT_PORT_BASE", "29650"))
N = int(os.environ.get("FJORD_IT_RECORDS", "10000"))
PARTS = 4
NODE_ID = 3
INIT_PRODUCER_ID = 22
OUT_OF_ORDER_SEQUENCE_NUMBER = 45
INVALID_PRODUCER_EPOCH = 47
TRANSACTIONAL_ID_AUTHORIZATION_FAILED = 53
IDEM = {"enable.idempotence": True}


def uvarint(n):
    out = b""
    while n >= 0x80:
        out += bytes([(n & 0x7F) | 0x80])
        n >>= 7
    return out + bytes([n])


def init_producer_id(conn, version, txn_id=None, pid=-1, epoch=-1):
    """Returns (error, producer_id, epoch)."""
    if version >= 2:
        # Request header v2: the v1 header plus an empty tagged-field block.
        txn = b"\x00" if txn_id is None else uvarint(len(txn_id) + 1) + txn_id.encode()
        body = b"\x00" + txn + struct.pack(">i", 60000)
        if version >= 3:
            body += struct.pack(">qh", pid, epoch)
        body += b"\x00"
    else:
        body = wire.s16(txn_id) + struct.pack(">i", 60000)
    corr = conn.request(INIT_PRODUCER_ID, version, body)
    r = wire.Reader(conn.recv_frame())
    assert r.take("i") == corr
    if version >= 2:
        assert r.take("B") == 0, "response header tags"
    _throttle, err, got_pid, got_epoch = r.take("ihqh")
    return err, got_pid, got_epoch


def idem_batch(values, pid, epoch, seq):
    """A v2 batch like wire.record_batch, with producer id, epoch and base
    sequence set."""
    recs = b""
    for i, v in enumerate(values):
        body = b"\x00" + wire.zigzag(0) + wire.zigzag(i) + wire.zigzag(-1) + \
            wire.zigzag(len(v)) + v + wire.zigzag(0)
        recs += wire.zigzag(len(body)) + body
    now = int(time.time() * 1000)
    after_crc = struct.pack(">hiqqqhii", 0, len(values) - 1, now, now, pid, epoch, seq,
                            len(values)) + recs
    tail = struct.pack(">ibI", -1, 2, wire.crc32c(after_crc)) + after_crc
    return struct.pack(">qi", 0, len(tail)) + tail


def produce(conn, topic, batch):
    (_, _, err, base), = wire.produce_v3(conn, topic, 0, batch)
    return err, base


def latest(conn, topic):
    (_, _, err, off), = wire.list_offsets(conn, topic, 0, -1)
    assert err == 0
    return off


def check_init_producer_id(node):
    c = wire.Conn(node.port)
    try:
        err, pid0, ep0 = init_producer_id(c, 0)
        assert err == 0 and ep0 == 0, (err, ep0)
        # From the controller's blocks, above every id an older release's
        # per-node counter (node_id << 40 | counter) could have given.
        assert pid0 >= (1000001 << 40), "producer id %x not from a controller block" % pid0
        err, pid1, ep1 = init_producer_id(c, 4)
        assert err == 0 and ep1 == 0 and pid1 == pid0 + 1, (err, pid0, pid1, ep1)
        # KIP-360: a producer naming its id and epoch gets the next epoch.
        err, pid2, ep2 = init_producer_id(c, 3, pid=pid1, epoch=0)
        assert (err, pid2, ep2) == (0, pid1, 1), (err, pid2, ep2)
        err, pid3, ep3 = init_producer_id(c, 4, pid=pid1, epoch=32766)
        assert err == 0 and pid3 not in (pid0, pid1) and ep3 == 0, (err, pid3, ep3)
        err, _, _ = init_producer_id(c, 4, txn_id="tx-1")
        assert err == TRANSACTIONAL_ID_AUTHORIZATION_FAILED, err
        err, _, _ = init_producer_id(c, 1, txn_id="tx-1")
        assert err == TRANSACTIONAL_ID_AUTHORIZATION_FAILED, err
        assert not os.path.exists(os.path.join(node.data_dir, "producer-ids"))
        assert "producer ids: block" in node.tail(400), node.tail(20)
        harness.log("InitProducerId: ids %x.. from a controller block, epoch bump, "
                    "transactions refused" % pid0)
        return pid1, 1
    finally:
        c.close()


def check_wire_produce(node, pid, epoch):
    topic = "idem_raw"
    c = wire.Conn(node.port)
    try:
        b1 = idem_batch([b"a0", b"a1", b"a2"], pid, epoch, 0)
        err, base1 = produce(c, topic, b1)
        assert err == 0 and base1 == 0, (err, base1)
        err, base = produce(c, topic, b1)
        assert (err, base) == (0, base1), "duplicate answered %r" % ((err, base),)
        assert latest(c, topic) == 3, "the duplicate was stored"
        err, _ = produce(c, topic, idem_batch([b"gap"], pid, epoch, 5))
        assert err == OUT_OF_ORDER_SEQUENCE_NUMBER, err
        err, _ = produce(c, topic, idem_batch([b"old"], pid, epoch - 1, 3))
        assert err == INVALID_PRODUCER_EPOCH, err
        # Records without a producer id are not checked.
        err, base = produce(c, topic, wire.record_batch([b"plain"]))
        assert (err, base) == (0, 3), (err, base)
        b2 = idem_batch([b"b0", b"b1"], pid, epoch, 3)
        err, base2 = produce(c, topic, b2)
        assert (err, base2) == (0, 4), (err, base2)
        assert latest(c, topic) == 6
    finally:
        c.close()
    # After a restart the state comes back from the log.
    node.stop()
    node.start()
    node.wait_serving(topic, 1)
    c = wire.Conn(node.port)
    try:
        err, base = produce(c, topic, b2)
        assert (err, base) == (0, 4), "after restart the duplicate got %r" % ((err, base),)
        err, base = produce(c, topic, b1)
        assert (err, base) == (0, 0), "after restart the older duplicate got %r" % ((err, base),)
        err, _ = produce(c, topic, idem_batch([b"gap"], pid, epoch, 9))
        assert err == OUT_OF_ORDER_SEQUENCE_NUMBER, err
        err, base = produce(c, topic, idem_batch([b"c0"], pid, epoch, 5))
        assert (err, base) == (0, 6), (err, base)
        assert latest(c, topic) == 7
        # A new InitProducerId after the restart never repeats an id.
        err, pid_new, _ = init_producer_id(c, 4)
        assert err == 0 and pid_new & ((1 << 40) - 1) >= 1000, "id %x reused a block" % pid_new
    finally:
        c.close()
    harness.log("wire: duplicates answered with the original offset (also after a restart), "
                "gaps and old epochs refused")
    return pid_new


def check_librdkafka(node, last_pid):
    topic = "idem_rdk"
    recs = records.make("idem", N)
    delivered, errors = clients.rdkafka_produce(node.bootstrap, topic, recs, -1, extra=IDEM)
    c = wire.Conn(node.port)
    try:
        err, pid, _ = init_producer_id(c, 4)
    finally:
        c.close()
    assert err == 0 and pid > last_pid + 1, "librdkafka asked for no producer id"
    assert not errors, "delivery errors: %r" % errors[:3]
    assert len(delivered) == N, "%d of %d delivered" % (len(delivered), N)
    assert len({(p, o) for p, o, _ in delivered}) == N, "offsets reported twice"
    got = clients.kcat_consume(node.bootstrap, topic, N)
    assert len(got) == N, "%d records stored for %d produced" % (len(got), N)
    harness.log("librdkafka idempotent: %d records exactly once, in order" %
                records.check(got, {"idem": recs}))


def check_kill(node):
    topic = "idem_kill"
    total = 2 * N
    recs = records.make("ik", total)
    result = {}

    def run():
        result["delivered"], result["errors"] = clients.rdkafka_produce(
            node.bootstrap, topic, recs, -1,
            extra=dict(IDEM, **{"linger.ms": 1, "batch.num.messages": 200}), timeout=120,
            pace=(50, 0.01), progress=result)

    t = threading.Thread(target=run)
    t.start()
    for victim in (0, 2):
        time.sleep(1.0)
        old = harness.wait_for("worker %s/%d" % (topic, victim),
                               lambda: node.worker_pid(topic, victim))
        os.kill(old, signal.SIGKILL)
        sent = result.get("sent", 0)
        assert 0 < sent < total, "kill did not land mid-stream (%d of %d sent)" % (sent, total)
        harness.wait_for("worker %s/%d to be restarted" % (topic, victim),
                         lambda: (lambda p: p and p != old)(node.worker_pid(topic, victim)),
                         timeout=15)
        harness.log("killed worker %d of %s/%d after %d sent" % (old, topic, victim, sent))
    t.join(timeout=180)
    assert not t.is_alive(), "producer did not finish"
    assert not result["errors"], "delivery errors: %r" % result["errors"][:3]
    acked = [v for _, _, v in result["delivered"]]
    assert len(set(acked)) == total, "%d of %d acknowledged" % (len(set(acked)), total)
    got = clients.kcat_consume(node.bootstrap, topic, total)
    values = [r[3] for r in got]
    dups = len(values) - len(set(values))
    assert dups == 0, "%d duplicates stored" % dups
    harness.log("kill -9 x2 with idempotence: %d records exactly once, in order" %
                records.check(got, {"ik": recs}))


def test():
    node = harness.Node("idem", PORT_BASE,
                        {"idem_raw": 1, "idem_rdk": PARTS, "idem_kill": PARTS}, node_id=NODE_ID)
    try:
        node.start()
        for t, n in (("idem_raw", 1), ("idem_rdk", PARTS), ("idem_kill", PARTS)):
            node.wait_serving(t, n)
        pid, epoch = check_init_producer_id(node)
        last_pid = check_wire_produce(node, pid, epoch)
        check_librdkafka(node, last_pid)
        check_kill(node)
    except Exception:
        print(node.tail(), file=sys.stderr)
        raise
    finally:
        node.cleanup()


if __name__ == "__main__":
    harness.run(test, "idempotence")
