"""admin_wire.py - hand-written Kafka requests for the admin APIs that the
installed clients lack (confluent-kafka 1.7 and kafka-python 2.0 have no
DescribeCluster, DescribeTopicPartitions, DeleteRecords or ElectLeaders).

Built from the protocol guide and the message schemas, independent of
fjord's generated codec, on top of wire.Conn. Flexible versions use compact
strings and arrays (unsigned varint length + 1) and tagged fields."""
import struct

import wire


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


class FlexReader(wire.Reader):
    def uvarint(self):
        shift, n = 0, 0
        while True:
            b = self.d[self.i]
            self.i += 1
            n |= (b & 0x7F) << shift
            if b < 0x80:
                return n
            shift += 7

    def cstring(self):
        n = self.uvarint() - 1
        if n < 0:
            return None
        s = self.d[self.i:self.i + n].decode()
        self.i += n
        return s

    def carray_len(self):
        return self.uvarint() - 1

    def tags(self):
        for _ in range(self.uvarint()):
            self.uvarint()
            self.i += self.uvarint()

    def int32s(self):
        n = self.carray_len()
        return None if n < 0 else [self.take("i") for _ in range(n)]


def request_flex(conn, api_key, version, body):
    """Request header v2 (client id, tagged fields); returns the reader
    positioned after response header v1."""
    conn.corr += 1
    hdr = struct.pack(">hhi", api_key, version, conn.corr) + wire.s16("fjord-admin-wire") + b"\x00"
    msg = hdr + body
    conn.sock.sendall(struct.pack(">i", len(msg)) + msg)
    r = FlexReader(conn.recv_frame())
    assert r.take("i") == conn.corr
    r.tags()
    return r


def describe_cluster(conn, version=0):
    body = b"\x00" + (b"\x01" if version >= 1 else b"") + b"\x00"
    r = request_flex(conn, 60, version, body)
    out = {"throttle": r.take("i"), "error": r.take("h"), "message": r.cstring()}
    if version >= 1:
        out["endpoint_type"] = r.take("b")
    out["cluster_id"] = r.cstring()
    out["controller_id"] = r.take("i")
    brokers = []
    for _ in range(r.carray_len()):
        b = {"id": r.take("i"), "host": r.cstring(), "port": r.take("i"), "rack": r.cstring()}
        r.tags()
        brokers.append(b)
    out["brokers"] = brokers
    out["authorized_operations"] = r.take("i")
    r.tags()
    return out


def describe_topic_partitions(conn, topics, limit, cursor=None):
    body = uvarint(len(topics) + 1) + b"".join(cstr(t) + b"\x00" for t in topics)
    body += struct.pack(">i", limit)
    if cursor is None:
        body += b"\xff"
    else:
        body += b"\x01" + cstr(cursor[0]) + struct.pack(">i", cursor[1]) + b"\x00"
    body += b"\x00"
    r = request_flex(conn, 75, 0, body)
    r.take("i")
    topics_out = []
    for _ in range(r.carray_len()):
        t = {"error": r.take("h"), "name": r.cstring()}
        t["id"] = r.d[r.i:r.i + 16]
        r.i += 16
        t["internal"] = r.take("b")
        parts = []
        for _ in range(r.carray_len()):
            p = {"error": r.take("h"), "partition": r.take("i"), "leader": r.take("i"),
                 "epoch": r.take("i"), "replicas": r.int32s(), "isr": r.int32s(),
                 "elr": r.int32s(), "last_known_elr": r.int32s(), "offline": r.int32s()}
            r.tags()
            parts.append(p)
        t["partitions"] = parts
        r.take("i")
        r.tags()
        topics_out.append(t)
    nxt = None
    if r.take("b") >= 0:
        nxt = (r.cstring(), r.take("i"))
        r.tags()
    r.tags()
    return topics_out, nxt


def delete_records(conn, topic, offsets, timeout_ms=10000):
    """DeleteRecords v0: {partition: offset} -> {partition: (error, low watermark)}."""
    body = struct.pack(">i", 1) + wire.s16(topic) + struct.pack(">i", len(offsets))
    body += b"".join(struct.pack(">iq", p, o) for p, o in offsets.items())
    body += struct.pack(">i", timeout_ms)
    corr = conn.request(21, 0, body)
    r = wire.Reader(conn.recv_frame())
    assert r.take("i") == corr
    r.take("i")
    out = {}
    for _ in range(r.take("i")):
        r.string()
        for _ in range(r.take("i")):
            p, low, err = r.take("iqh")
            out[p] = (err, low)
    return out


def elect_leaders(conn, topic_partitions, election_type=0, timeout_ms=15000):
    """ElectLeaders v1: {topic: [partitions]} (None: every partition) ->
    (top-level error, {(topic, partition): (error, message)})."""
    body = struct.pack(">b", election_type)
    if topic_partitions is None:
        body += struct.pack(">i", -1)
    else:
        body += struct.pack(">i", len(topic_partitions))
        for t, ps in topic_partitions.items():
            body += wire.s16(t) + struct.pack(">i", len(ps)) + b"".join(
                struct.pack(">i", p) for p in ps)
    body += struct.pack(">i", timeout_ms)
    corr = conn.request(43, 1, body)
    r = wire.Reader(conn.recv_frame())
    assert r.take("i") == corr
    r.take("i")
    top = r.take("h")
    out = {}
    for _ in range(r.take("i")):
        t = r.string()
        for _ in range(r.take("i")):
            p, err = r.take("ih")
            out[(t, p)] = (err, r.string())
    return top, out
