"""group_wire.py - the classic group protocol spoken by hand (non-flexible
versions: FindCoordinator v1, JoinGroup v5, SyncGroup v3, Heartbeat v3,
LeaveGroup v3, OffsetCommit v7, OffsetFetch v5), for tests that need exact
errors, member ids and generations."""
import struct

import wire

FIND_COORDINATOR, JOIN_GROUP, HEARTBEAT, LEAVE_GROUP, SYNC_GROUP = 10, 11, 12, 13, 14
OFFSET_COMMIT, OFFSET_FETCH = 8, 9

NONE = 0
NOT_COORDINATOR = 16
ILLEGAL_GENERATION = 22
INCONSISTENT_GROUP_PROTOCOL = 23
INVALID_GROUP_ID = 24
UNKNOWN_MEMBER_ID = 25
INVALID_SESSION_TIMEOUT = 26
REBALANCE_IN_PROGRESS = 27
COORDINATOR_LOAD_IN_PROGRESS = 14
COORDINATOR_NOT_AVAILABLE = 15
MEMBER_ID_REQUIRED = 79
FENCED_INSTANCE_ID = 82
NON_EMPTY_GROUP = 68


def s32(n):
    return struct.pack(">i", n)


def bytes32(b):
    return s32(len(b)) + b


def _call(conn, api, version, body):
    corr = conn.request(api, version, body)
    frame = conn.recv_frame()
    assert frame is not None, "connection closed on api %d" % api
    r = wire.Reader(frame)
    assert r.take("i") == corr
    return r


def find_coordinator(conn, group, key_type=0):
    """(error, node, host, port)"""
    r = _call(conn, FIND_COORDINATOR, 1, wire.s16(group) + struct.pack(">b", key_type))
    r.take("i")
    err = r.take("h")
    r.string()
    node = r.take("i")
    host = r.string()
    port = r.take("i")
    return err, node, host, port


def join(conn, group, member="", instance=None, protocols=(("range", b"meta"),),
         session_ms=10000, rebalance_ms=10000, ptype="consumer"):
    """(error, generation, protocol, leader, member_id, [(member, instance, metadata)])"""
    body = wire.s16(group) + struct.pack(">ii", session_ms, rebalance_ms) + wire.s16(member) + \
        wire.s16(instance) + wire.s16(ptype) + s32(len(protocols))
    for name, meta in protocols:
        body += wire.s16(name) + bytes32(meta)
    r = _call(conn, JOIN_GROUP, 5, body)
    r.take("i")
    err = r.take("h")
    gen = r.take("i")
    proto = r.string()
    leader = r.string()
    mid = r.string()
    members = []
    for _ in range(r.take("i")):
        m = r.string()
        inst = r.string()
        n = r.take("i")
        members.append((m, inst, r.d[r.i:r.i + n]))
        r.i += n
    return err, gen, proto, leader, mid, members


def sync(conn, group, gen, member, assignments=(), instance=None):
    """(error, assignment bytes)"""
    body = wire.s16(group) + s32(gen) + wire.s16(member) + wire.s16(instance) + \
        s32(len(assignments))
    for m, a in assignments:
        body += wire.s16(m) + bytes32(a)
    r = _call(conn, SYNC_GROUP, 3, body)
    r.take("i")
    err = r.take("h")
    n = r.take("i")
    return err, r.d[r.i:r.i + max(n, 0)]


def heartbeat(conn, group, gen, member, instance=None):
    r = _call(conn, HEARTBEAT, 3, wire.s16(group) + s32(gen) + wire.s16(member) +
              wire.s16(instance))
    r.take("i")
    return r.take("h")


def leave(conn, group, members):
    """members: [(member_id, instance)] -> (error, [member errors])"""
    body = wire.s16(group) + s32(len(members))
    for m, inst in members:
        body += wire.s16(m) + wire.s16(inst)
    r = _call(conn, LEAVE_GROUP, 3, body)
    r.take("i")
    err = r.take("h")
    out = []
    for _ in range(r.take("i")):
        r.string()
        r.string()
        out.append(r.take("h"))
    return err, out


def commit(conn, group, gen, member, topic, offsets, instance=None):
    """offsets: {partition: offset} -> {partition: error}"""
    body = wire.s16(group) + s32(gen) + wire.s16(member) + wire.s16(instance) + s32(1) + \
        wire.s16(topic) + s32(len(offsets))
    for p, o in sorted(offsets.items()):
        body += struct.pack(">iqi", p, o, -1) + wire.s16("meta")
    r = _call(conn, OFFSET_COMMIT, 7, body)
    r.take("i")
    out = {}
    for _ in range(r.take("i")):
        r.string()
        for _ in range(r.take("i")):
            p, e = r.take("ih")
            out[p] = e
    return out


def fetch(conn, group, topic, partitions):
    """(group error, {partition: (offset, error)})"""
    body = wire.s16(group) + s32(1) + wire.s16(topic) + s32(len(partitions))
    for p in partitions:
        body += s32(p)
    r = _call(conn, OFFSET_FETCH, 5, body)
    r.take("i")
    out = {}
    for _ in range(r.take("i")):
        r.string()
        for _ in range(r.take("i")):
            p, o, _epoch = r.take("iqi")
            r.string()
            out[p] = (o, r.take("h"))
    return r.take("h"), out


def java_hash(s):
    """Java's String.hashCode: over UTF-16 code units, wrapping at 32 bits."""
    units = s.encode("utf-16-be")
    h = 0
    for i in range(0, len(units), 2):
        h = (31 * h + int.from_bytes(units[i:i + 2], "big")) & 0xFFFFFFFF
    return h - (1 << 32) if h >= 1 << 31 else h


def partition_for(group, n):
    h = java_hash(group)
    a = 0 if h == -(1 << 31) else abs(h)
    return a % n
