#!/usr/bin/python3
"""test_apis.py - the APIs Kafka clients and tools reach for beyond topics
and groups, on the wire, against one node (issue 13).

Requests and responses are built and read here by hand, from the Kafka
protocol guide (flexible versions: compact strings and arrays, tagged
fields, request header v2, response header v1), independent of fjord's
generated codec, so a codec bug cannot hide behind the same bug on both
sides.

1. ListOffsets v9: latest, earliest, by timestamp, max timestamp (-3, the
   record with the largest timestamp, not the last one), earliest local
   (-4) and earliest pending upload (-5, none: no tiered storage).
2. A LogAppendTime topic: Produce returns log_append_time_ms between the
   clocks before and after; ListOffsets -3 answers that time; kafka-python
   reads every record back with timestamp type 1 (LogAppendTime) and that
   timestamp (so the recomputed CRC is valid: it checks CRCs).
3. OffsetForLeaderEpoch v4 and v0: the current epoch ends at the log end,
   one older than the log's at its start, a newer one is undefined;
   UNKNOWN_LEADER_EPOCH for a current_leader_epoch ahead; an unknown topic.
4. DescribeLogDirs v4: one dir (data_dir) with every replica and a size,
   filesystem total and usable bytes; a topic filter.
5. DescribeProducers v0: librdkafka's idempotent producer shows up with
   its id, epoch 0, last sequence N-1 and a recent timestamp.
6. After a restart (a new Raft term, so a new leader epoch): the old epoch
   ends where the new one's first batch is, the new one at the log end;
   an old current_leader_epoch is FENCED_LEADER_EPOCH (also for ListOffsets).
7. KIP-951: a Fetch v12 fenced by an old current_leader_epoch carries the
   current leader (this node, the current epoch) in its tagged fields.
8. On 3 nodes (ports base+10.., +20.., +30..): a Produce v10 to a node
   that does not lead the partition is answered NOT_LEADER_OR_FOLLOWER with
   the leader's id and epoch and its endpoint (KIP-951)."""
import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import clients  # noqa: E402
import cluster  # noqa: E402
import harness  # noqa: E402
import wire  # noqa: E402

PORT_BASE = int(os.environ.get("FJORD_IT_PORT_BASE", "30200"))
NODE_ID = 1
LIST_OFFSETS, FETCH, OFFSET_FOR_LEADER_EPOCH = 2, 1, 23
DESCRIBE_LOG_DIRS, DESCRIBE_PRODUCERS = 35, 61
UNKNOWN_TOPIC_OR_PARTITION, FENCED_LEADER_EPOCH, UNKNOWN_LEADER_EPOCH = 3, 74, 75
NOT_LEADER_OR_FOLLOWER = 6


# --- flexible-version encoding ------------------------------------------------

def uvarint(n):
    out = b""
    while n >= 0x80:
        out += bytes([(n & 0x7F) | 0x80])
        n >>= 7
    return out + bytes([n])


def cstr(s):
    if s is None:
        return b"\x00"
    b = s.encode()
    return uvarint(len(b) + 1) + b


def carr(items):
    """A compact array of already encoded items."""
    if items is None:
        return b"\x00"
    return uvarint(len(items) + 1) + b"".join(items)


TAGS = b"\x00"  # an empty tagged-field block


class FReader(wire.Reader):
    def uvarint(self):
        shift = n = 0
        while True:
            b = self.d[self.i]
            self.i += 1
            n |= (b & 0x7F) << shift
            if not b & 0x80:
                return n
            shift += 7

    def cstr(self):
        n = self.uvarint() - 1
        if n < 0:
            return None
        s = self.d[self.i:self.i + n].decode()
        self.i += n
        return s

    def cbytes(self):
        n = self.uvarint() - 1
        if n < 0:
            return None
        b = self.d[self.i:self.i + n]
        self.i += n
        return b

    def count(self):
        return self.uvarint() - 1

    def tags(self):
        """The tagged fields as {tag: bytes}."""
        out = {}
        for _ in range(self.uvarint()):
            tag = self.uvarint()
            size = self.uvarint()
            out[tag] = self.d[self.i:self.i + size]
            self.i += size
        return out


def flex_request(conn, api_key, version, body):
    """Sends with request header v2 and returns a reader past the response
    header v1 (correlation id and its tags)."""
    conn.corr += 1
    hdr = struct.pack(">hhi", api_key, version, conn.corr) + wire.s16("fjord-wire") + TAGS
    msg = hdr + body
    conn.sock.sendall(struct.pack(">i", len(msg)) + msg)
    r = FReader(conn.recv_frame())
    assert r.take("i") == conn.corr
    assert r.tags() == {}, "response header tags"
    return r


def batch(timestamps, value=b"v"):
    """A v2 batch, one record per timestamp (CreateTime), valid CRC."""
    base = timestamps[0]
    recs = b""
    for i, ts in enumerate(timestamps):
        body = b"\x00" + wire.zigzag(ts - base) + wire.zigzag(i) + wire.zigzag(-1) + \
            wire.zigzag(len(value)) + value + wire.zigzag(0)
        recs += wire.zigzag(len(body)) + body
    after_crc = struct.pack(">hiqqqhii", 0, len(timestamps) - 1, base, max(timestamps), -1, -1,
                            -1, len(timestamps)) + recs
    tail = struct.pack(">ibI", -1, 2, wire.crc32c(after_crc)) + after_crc
    return struct.pack(">qi", 0, len(tail)) + tail


def produce_v3(conn, topic, records):
    """Returns (error, base_offset, log_append_time)."""
    body = wire.s16(None) + struct.pack(">hii", -1, 10000, 1) + wire.s16(topic) + \
        struct.pack(">ii", 1, 0) + struct.pack(">i", len(records)) + records
    corr = conn.request(0, 3, body)
    r = wire.Reader(conn.recv_frame())
    assert r.take("i") == corr
    assert r.take("i") == 1
    assert r.string() == topic
    assert r.take("i") == 1
    idx, err, base, lat = r.take("ihqq")
    assert idx == 0
    return err, base, lat


# --- the APIs -------------------------------------------------------------------

def list_offsets_v9(conn, topic, ts, epoch=-1):
    """Returns (error, timestamp, offset, leader_epoch)."""
    part = struct.pack(">iiq", 0, epoch, ts) + TAGS
    body = struct.pack(">ib", -1, 0) + carr([cstr(topic) + carr([part]) + TAGS]) + TAGS
    r = flex_request(conn, LIST_OFFSETS, 9, body)
    r.take("i")  # throttle
    assert r.count() == 1
    assert r.cstr() == topic
    assert r.count() == 1
    idx, err, t, off, le = r.take("ihqqi")
    assert idx == 0
    r.tags()
    r.tags()
    r.tags()
    assert r.left() == 0
    return err, t, off, le


def ofle_v4(conn, topic, partition, epoch, current=-1):
    """Returns [(error, partition, leader_epoch, end_offset)]."""
    part = struct.pack(">iii", partition, current, epoch) + TAGS
    body = struct.pack(">i", -1) + carr([cstr(topic) + carr([part]) + TAGS]) + TAGS
    r = flex_request(conn, OFFSET_FOR_LEADER_EPOCH, 4, body)
    assert r.take("i") == 0  # throttle
    assert r.count() == 1
    assert r.cstr() == topic
    out = []
    for _ in range(r.count()):
        out.append(r.take("hiiq"))
        r.tags()
    r.tags()
    r.tags()
    assert r.left() == 0
    return out


def ofle_v0(conn, topic, epoch):
    """v0: no current epoch, no leader epoch in the answer, no throttle."""
    body = struct.pack(">i", 1) + wire.s16(topic) + struct.pack(">iii", 1, 0, epoch)
    corr = conn.request(OFFSET_FOR_LEADER_EPOCH, 0, body)
    r = wire.Reader(conn.recv_frame())
    assert r.take("i") == corr
    assert r.take("i") == 1
    assert r.string() == topic
    assert r.take("i") == 1
    err, part, end = r.take("hiq")
    assert part == 0 and r.left() == 0
    return err, end


def describe_log_dirs_v4(conn, topics=None):
    """topics: None (all) or {name: [partitions]}. Returns (error,
    [(dir_error, dir, {topic: {partition: (size, lag, future)}}, total,
    usable)])."""
    if topics is None:
        body = carr(None) + TAGS
    else:
        body = carr([cstr(t) + carr([struct.pack(">i", p) for p in ps]) + TAGS
                     for t, ps in topics.items()]) + TAGS
    r = flex_request(conn, DESCRIBE_LOG_DIRS, 4, body)
    assert r.take("i") == 0
    err = r.take("h")
    dirs = []
    for _ in range(r.count()):
        derr = r.take("h")
        name = r.cstr()
        ts = {}
        for _ in range(r.count()):
            tname = r.cstr()
            ps = {}
            for _ in range(r.count()):
                p, size, lag, fut = r.take("iqq?")
                ps[p] = (size, lag, fut)
                r.tags()
            r.tags()
            ts[tname] = ps
        total, usable = r.take("qq")
        r.tags()
        dirs.append((derr, name, ts, total, usable))
    r.tags()
    assert r.left() == 0
    return err, dirs


def describe_producers_v0(conn, topic, partitions):
    """Returns {partition: (error, [(pid, epoch, last_seq, last_ts, coord_epoch,
    txn_start)])}."""
    body = carr([cstr(topic) + carr([struct.pack(">i", p) for p in partitions]) + TAGS]) + TAGS
    r = flex_request(conn, DESCRIBE_PRODUCERS, 0, body)
    assert r.take("i") == 0
    assert r.count() == 1
    assert r.cstr() == topic
    out = {}
    for _ in range(r.count()):
        p, err = r.take("ih")
        r.cstr()  # error message
        prods = []
        for _ in range(r.count()):
            prods.append(r.take("qiiqiq"))
            r.tags()
        r.tags()
        out[p] = (err, prods)
    r.tags()
    r.tags()
    assert r.left() == 0
    return out


def fetch_v12(conn, topic, offset, current_epoch):
    """Returns (error, {tag: bytes}) of partition 0."""
    part = struct.pack(">iiqiqi", 0, current_epoch, offset, -1, -1, 1 << 20) + TAGS
    body = struct.pack(">iiiibii", -1, 0, 1, 1 << 20, 0, 0, -1) + \
        carr([cstr(topic) + carr([part]) + TAGS]) + carr([]) + cstr("") + TAGS
    r = flex_request(conn, FETCH, 12, body)
    r.take("ihi")  # throttle, error, session id
    assert r.count() == 1
    assert r.cstr() == topic
    assert r.count() == 1
    idx, err, _hw, _lso, _ls = r.take("ihqqq")
    assert idx == 0
    aborted = r.count()
    for _ in range(max(aborted, 0)):
        r.take("qq")
        r.tags()
    r.take("i")  # preferred read replica
    r.cbytes()
    tags = r.tags()
    r.tags()
    r.tags()
    assert r.left() == 0
    return err, tags


def produce_v10(conn, topic, records):
    """Returns (error, current_leader (id, epoch) or None, [node endpoints
    (id, host, port, rack)])."""
    part = struct.pack(">i", 0) + uvarint(len(records) + 1) + records + TAGS
    body = cstr(None) + struct.pack(">hi", -1, 10000) + carr([cstr(topic) + carr([part]) + TAGS]) \
        + TAGS
    r = flex_request(conn, 0, 10, body)
    assert r.count() == 1
    assert r.cstr() == topic
    assert r.count() == 1
    idx, err, _base, _lat, _lso = r.take("ihqqq")
    assert idx == 0
    assert r.count() == 0  # record errors
    r.cstr()  # error message
    tags = r.tags()
    leader = None
    if 0 in tags:
        lr = FReader(tags[0])
        leader = lr.take("ii")
        assert lr.tags() == {} and lr.left() == 0
    r.tags()
    r.take("i")  # throttle
    eps = []
    top = r.tags()
    assert r.left() == 0
    if 0 in top:
        er = FReader(top[0])
        for _ in range(er.count()):
            nid = er.take("i")
            host = er.cstr()
            port = er.take("i")
            rack = er.cstr()
            er.tags()
            eps.append((nid, host, port, rack))
        assert er.left() == 0
    return err, leader, eps


# --- the test -------------------------------------------------------------------

def term_of(node, topic):
    for rep in node.status()["replicas"]:
        if rep["topic"] == topic and rep["partition"] == 0:
            return rep["term"]
    raise AssertionError("no replica of %s/0 in /v1/status" % topic)


def main():
    # The batches of "ts" carry 1970 timestamps: with the default 7-day
    # retention, a retention pass (every second) could delete them mid-test.
    extra = "[topic.lat]\npartitions = 1\nmessage_timestamp_type = LogAppendTime\n" \
        "[retention]\nms = -1\n"
    node = harness.Node("apis", PORT_BASE, {"ts": 1, "idem": 2}, extra=extra, node_id=NODE_ID)
    try:
        node.start()
        for t, n in (("ts", 1), ("idem", 2), ("lat", 1)):
            node.wait_serving(t, n)
        conn = wire.Conn(node.port)

        harness.log("1. ListOffsets v9: -1, -2, by time, -3, -4, -5")
        for ts in ([1000, 1001], [5000], [3000, 2000]):  # offsets 0-1, 2, 3-4
            err, _base, lat = produce_v3(conn, "ts", batch(ts))
            assert err == 0 and lat == -1, (err, lat)
        term = term_of(node, "ts")
        assert list_offsets_v9(conn, "ts", -1)[:3] == (0, -1, 5)
        assert list_offsets_v9(conn, "ts", -2)[:3] == (0, -1, 0)
        assert list_offsets_v9(conn, "ts", 2500)[:3] == (0, 5000, 2)
        err, t, off, le = list_offsets_v9(conn, "ts", -3)
        assert (err, t, off, le) == (0, 5000, 2, term), (err, t, off, le)
        assert list_offsets_v9(conn, "ts", -4)[:3] == (0, -1, 0)
        assert list_offsets_v9(conn, "ts", -5)[:3] == (0, -1, -1)

        harness.log("2. LogAppendTime: Produce, ListOffsets and Fetch see the append time")
        before = int(time.time() * 1000)
        err, base, lat = produce_v3(conn, "lat", batch([1000, 1001, 1002]))
        after = int(time.time() * 1000)
        assert err == 0 and base == 0, (err, base)
        assert before <= lat <= after, (before, lat, after)
        assert list_offsets_v9(conn, "lat", -3)[:2] == (0, lat)
        from kafka import KafkaConsumer, TopicPartition
        c = KafkaConsumer(bootstrap_servers=node.bootstrap, api_version=(2, 5),
                          enable_auto_commit=False, consumer_timeout_ms=10000,
                          check_crcs=True)
        c.assign([TopicPartition("lat", 0)])
        c.seek(TopicPartition("lat", 0), 0)
        got = []
        for m in c:
            got.append((m.offset, m.timestamp_type, m.timestamp))
            if len(got) == 3:
                break
        c.close()
        assert got == [(i, 1, lat) for i in range(3)], got

        harness.log("3. OffsetForLeaderEpoch v4 and v0, fencing")
        assert ofle_v4(conn, "ts", 0, term) == [(0, 0, term, 5)]
        # An epoch older than any in the log: the epoch asked, ended where
        # the log's first epoch starts.
        assert ofle_v4(conn, "ts", 0, term - 1) == [(0, 0, term - 1, 0)]
        assert ofle_v4(conn, "ts", 0, term + 1) == [(0, 0, -1, -1)]
        assert ofle_v4(conn, "ts", 0, term, current=term) == [(0, 0, term, 5)]
        assert ofle_v4(conn, "ts", 0, term, current=term + 1) == \
            [(UNKNOWN_LEADER_EPOCH, 0, -1, -1)]
        assert ofle_v4(conn, "nope", 0, 1) == [(UNKNOWN_TOPIC_OR_PARTITION, 0, -1, -1)]
        assert ofle_v0(conn, "ts", term) == (0, 5)

        harness.log("4. DescribeLogDirs v4: all, then one partition")
        err, dirs = describe_log_dirs_v4(conn)
        assert err == 0 and len(dirs) == 1, dirs
        derr, name, ts, total, usable = dirs[0]
        assert derr == 0 and name == node.data_dir, (derr, name)
        assert set(ts) >= {"ts", "lat", "idem"}, ts
        assert sorted(ts["idem"]) == [0, 1], ts
        for t in ("ts", "lat", "idem"):
            for p, (size, lag, fut) in ts[t].items():
                assert size > 0 and lag == 0 and fut is False, (t, p, size, lag, fut)
        assert total > usable > 0, (total, usable)
        err, dirs = describe_log_dirs_v4(conn, {"idem": [1]})
        assert err == 0 and list(dirs[0][2]) == ["idem"], dirs
        assert list(dirs[0][2]["idem"]) == [1], dirs

        harness.log("5. DescribeProducers v0: librdkafka's idempotent producer")
        n = 7
        start = int(time.time() * 1000)
        delivered, errors = clients.rdkafka_produce(
            node.bootstrap, "idem", [("k%d" % i, "r%d" % i, None) for i in range(n)], -1,
            extra={"enable.idempotence": True, "linger.ms": 0})
        assert len(delivered) == n and not errors, (delivered, errors)
        d = describe_producers_v0(conn, "idem", [0, 1])
        assert sorted(d) == [0, 1], d
        seqs = 0
        pids = set()
        for p, (err, prods) in d.items():
            assert err == 0, d
            for pid, epoch, last_seq, last_ts, coord, txn in prods:
                assert pid >= 0 and epoch == 0 and coord == -1 and txn == -1, prods
                assert start - 1000 <= last_ts <= int(time.time() * 1000) + 1000, (start, last_ts)
                seqs += last_seq + 1
                pids.add(pid)
        assert len(pids) == 1 and seqs == n, d
        d = describe_producers_v0(conn, "nope", [0])
        assert d[0][0] == UNKNOWN_TOPIC_OR_PARTITION, d

        harness.log("6. after a restart (a new term): older epochs end where the next began")
        conn.close()
        node.stop()
        node.start()
        node.wait_serving("ts", 1)
        conn = wire.Conn(node.port)
        old, term = term, term_of(node, "ts")
        assert term > old, (old, term)
        err, base, _ = produce_v3(conn, "ts", batch([6000]))
        assert (err, base) == (0, 5), (err, base)
        assert ofle_v4(conn, "ts", 0, old) == [(0, 0, old, 5)]
        assert ofle_v4(conn, "ts", 0, term) == [(0, 0, term, 6)]
        assert ofle_v4(conn, "ts", 0, term, current=old) == [(FENCED_LEADER_EPOCH, 0, -1, -1)]
        assert list_offsets_v9(conn, "ts", -1, epoch=old)[0] == FENCED_LEADER_EPOCH

        harness.log("7. KIP-951: a fenced Fetch v12 names the current leader")
        err, tags = fetch_v12(conn, "ts", 0, term)
        assert err == 0 and 1 not in tags, (err, tags)
        err, tags = fetch_v12(conn, "ts", 0, old)
        assert err == FENCED_LEADER_EPOCH, err
        leader = FReader(tags[1])
        assert leader.take("ii") == (NODE_ID, term)
        assert leader.tags() == {} and leader.left() == 0
        conn.close()
    except BaseException:
        print(node.tail(), file=sys.stderr)
        raise
    finally:
        node.cleanup()


def cluster_hints():
    """8. On 3 nodes: a Produce v10 sent to a follower's node is refused
    with the leader (id, epoch) and the leader's endpoint; DescribeLogDirs
    there lists its follower replica."""
    c = cluster.Cluster("apis", 3, PORT_BASE + 10, PORT_BASE + 20, PORT_BASE + 30,
                        [("hint", 1, 3)])
    try:
        c.start(wait=60)
        leader = c.wait_single_leaders(timeout=30)[("hint", 0)][0]
        term = c.replicas()[("hint", 0)][leader]["term"]
        other = 1 if leader != 1 else 2
        conn = wire.Conn(c.kafka_base + other)
        harness.log("8. Produce v10 at node %d, the leader is node %d (term %d)"
                    % (other, leader, term))

        # The follower's node learns the leader from its LEADERS tables
        # (sent on change and every second).
        def hinted():
            got = produce_v10(conn, "hint", batch([1]))
            return got if got[1] is not None else None
        err, cur, eps = harness.wait_for("a leader hint", hinted, 15, 0.2)
        assert err == NOT_LEADER_OR_FOLLOWER, err
        assert cur == (leader, term), (cur, leader, term)
        assert eps == [(leader, "127.0.0.1", c.kafka_base + leader, None)], eps
        err, dirs = describe_log_dirs_v4(conn, {"hint": [0]})
        assert err == 0 and dirs[0][2] == {"hint": {0: dirs[0][2]["hint"][0]}}, dirs
        assert dirs[0][2]["hint"][0][0] > 0, dirs
        conn.close()
    except BaseException:
        print(c.tail_logs(), file=sys.stderr)
        raise
    finally:
        c.stop()
        c.cleanup()


def test():
    main()
    cluster_hints()


if __name__ == "__main__":
    harness.run(test, "apis")
