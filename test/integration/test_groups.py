#!/usr/bin/python3
"""test_groups.py - consumer groups on a 3-node cluster (ports 32001-32203).

1. The group protocol by hand: bad input (empty and 300-character group
   ids, an unknown member, a stale generation, a protocol no other member
   supports, a session timeout out of range) gets the right error while the
   group keeps working; MEMBER_ID_REQUIRED on JoinGroup v4+; a static
   member restarted within its session gets its generation back with no
   rebalance, and its old member id is fenced.
2. Coordinator failover: a member commits offsets with its generation
   (snapshots every 20 entries), the coordinator's worker is killed with
   SIGKILL twice and then its whole node; each time a new coordinator is
   found, the member's heartbeat at the same generation is accepted and the
   committed offsets are read back.
3. kcat -G (librdkafka's balanced consumer) reads every record once, and a
   second run of the same group starts where the first committed.
4. Two confluent-kafka consumers in one group split a 6-partition topic
   and commit after processing; a third joins (three-way split), one
   leaves (the other two take its partitions); every record is consumed
   exactly once across the group.
5. Two kafka-python group consumers split the partitions, read and commit;
   the admin client lists and describes the group (both members); deleting
   a non-empty group is NON_EMPTY_GROUP, an empty one works.
6. /metrics shows the coordinators' groups by state, commits, rebalances;
   fjordctl groups lists them and fjordctl group shows members and lag."""
import os
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
import clients  # noqa: E402
import cluster  # noqa: E402
import group_wire as gw  # noqa: E402
import harness  # noqa: E402
import records  # noqa: E402
import wire  # noqa: E402

import confluent_kafka  # noqa: E402
from kafka.admin import KafkaAdminClient  # noqa: E402

KAFKA_BASE = int(os.environ.get("FJORD_IT_PORT_BASE", "32000"))
TOPIC = "gt"
PARTS = 6
OFFSETS = "__consumer_offsets"
N_OFFSETS = 3


def wait_coordinators(c, timeout=40):
    """Every partition of the data topic and of __consumer_offsets has one leader."""
    want = [(TOPIC, p) for p in range(PARTS)] + [(OFFSETS, p) for p in range(N_OFFSETS)]

    def ok():
        ls = c.leaders(internal=True)
        return all(len(ls.get(k, [])) == 1 for k in want) and ls
    return harness.wait_for("leaders of every partition and coordinator", ok, timeout, 0.2)


def coordinator(c, group, timeout=30):
    """(node, port) of the group's coordinator, asked until FindCoordinator answers."""
    def ask():
        for i in range(1, c.n + 1):
            try:
                conn = wire.Conn(c.kafka_base + i)
            except OSError:
                continue
            try:
                err, node, _host, port = gw.find_coordinator(conn, group)
            except (OSError, AssertionError):
                continue
            finally:
                conn.close()
            if err == gw.NONE:
                return node, port
        return None
    return harness.wait_for("a coordinator for %s" % group, ask, timeout, 0.2)


def joined(conn, group, **kw):
    """JoinGroup v5 twice (MEMBER_ID_REQUIRED first) as the only member; then SyncGroup."""
    err, _gen, _p, _l, mid, _m = gw.join(conn, group, **kw)
    if kw.get("instance") is None:
        assert err == gw.MEMBER_ID_REQUIRED and mid, "first join: %d" % err
    else:
        assert err == gw.NONE, "static join: %d" % err
        return _gen, mid
    err, gen, proto, leader, mid2, members = gw.join(conn, group, member=mid, **kw)
    assert err == gw.NONE and mid2 == mid and leader == mid, (err, mid, mid2, leader)
    assert [m[0] for m in members] == [mid], members
    assert proto == "range"
    err, a = gw.sync(conn, group, gen, mid, [(mid, b"assign-" + mid.encode())])
    assert err == gw.NONE and a == b"assign-" + mid.encode(), (err, a)
    return gen, mid


def check_protocol(c):
    group = "wire-bad"
    _node, port = coordinator(c, group)
    conn = wire.Conn(port)
    try:
        assert gw.join(conn, "")[0] == gw.INVALID_GROUP_ID
        assert gw.join(conn, "x" * 300)[0] == gw.INVALID_GROUP_ID
        assert gw.join(conn, group, session_ms=10)[0] == gw.INVALID_SESSION_TIMEOUT
        gen, mid = joined(conn, group)
        assert gw.heartbeat(conn, group, gen, "nobody") == gw.UNKNOWN_MEMBER_ID
        assert gw.heartbeat(conn, group, gen - 1, mid) == gw.ILLEGAL_GENERATION
        assert gw.sync(conn, group, gen + 5, mid)[0] == gw.ILLEGAL_GENERATION
        err = gw.join(conn, group, member="", protocols=(("roundrobin-only", b""),))[0]
        assert err in (gw.INCONSISTENT_GROUP_PROTOCOL, gw.MEMBER_ID_REQUIRED), err
        r = gw.join(conn, group, protocols=(("roundrobin-only", b""),))
        if r[0] == gw.MEMBER_ID_REQUIRED:
            r = gw.join(conn, group, member=r[4], protocols=(("roundrobin-only", b""),))
        assert r[0] == gw.INCONSISTENT_GROUP_PROTOCOL, r
        assert gw.commit(conn, group, gen, "nobody", TOPIC, {0: 5}) == {0: gw.UNKNOWN_MEMBER_ID}
        assert gw.commit(conn, group, gen + 1, mid, TOPIC, {0: 5}) == {0: gw.ILLEGAL_GENERATION}
        # The group still works for its member.
        assert gw.heartbeat(conn, group, gen, mid) == gw.NONE
        assert gw.commit(conn, group, gen, mid, TOPIC, {0: 7, 1: 8}) == {0: 0, 1: 0}
        assert gw.fetch(conn, group, TOPIC, [0, 1, 2]) == (0, {0: (7, 0), 1: (8, 0), 2: (-1, 0)})
        assert gw.leave(conn, group, [(mid, None), ("ghost", None)]) == (0, [0, gw.UNKNOWN_MEMBER_ID])
        assert gw.heartbeat(conn, group, gen, mid) == gw.UNKNOWN_MEMBER_ID
        # A simple (generation -1) commit to the now empty group.
        assert gw.commit(conn, group, -1, "", TOPIC, {3: 99}) == {3: 0}
        assert gw.fetch(conn, group, TOPIC, [3])[1] == {3: (99, 0)}

        gen1 = check_static(c)
        harness.log("protocol: errors, MEMBER_ID_REQUIRED, static rejoin at generation %d" % gen1)
    finally:
        conn.close()


def in_thread(fn, *args, **kw):
    out = {}
    t = threading.Thread(target=lambda: out.setdefault("r", fn(*args, **kw)), daemon=True)
    t.start()
    return t, out


def check_static(c):
    """Two static members; the follower restarts (a new connection, no member
    id) within its session: same generation, its assignment back, no
    rebalance of the leader, its old member id fenced."""
    sg = "wire-static"
    _node, port = coordinator(c, sg)
    ca, cb, cb2 = wire.Conn(port, timeout=30), wire.Conn(port, timeout=30), wire.Conn(port)
    try:
        err, g1, _p, leader, ma, _m = gw.join(ca, sg, instance="inst-a")
        assert err == gw.NONE and leader == ma, (err, leader, ma)
        assert gw.sync(ca, sg, g1, ma, [(ma, b"A")], instance="inst-a") == (0, b"A")
        tb, outb = in_thread(gw.join, cb, sg, instance="inst-b")
        harness.wait_for("a rebalance for b", lambda: gw.heartbeat(
            ca, sg, g1, ma, instance="inst-a") == gw.REBALANCE_IN_PROGRESS, 10, 0.05)
        err, g2, _p, leader, ma2, members = gw.join(ca, sg, member=ma, instance="inst-a")
        tb.join(10)
        errb, g2b, _p, leaderb, mb, _m = outb["r"]
        assert err == errb == gw.NONE and g2 == g2b == g1 + 1 and leader == leaderb == ma
        assert sorted(m[1] for m in members) == ["inst-a", "inst-b"], members
        tsb, outsb = in_thread(gw.sync, cb, sg, g2, mb, instance="inst-b")
        assert gw.sync(ca, sg, g2, ma, [(ma, b"A"), (mb, b"B")], instance="inst-a") == (0, b"A")
        tsb.join(10)
        assert outsb["r"] == (0, b"B"), outsb
        # b restarts: no member id, the same instance id.
        err, g3, _p, leader, mb2, _m = gw.join(cb2, sg, instance="inst-b")
        assert err == gw.NONE and mb2 != mb and leader == ma, (err, mb, mb2, leader)
        assert g3 == g2, "static rejoin rebalanced: %d -> %d" % (g2, g3)
        assert gw.heartbeat(ca, sg, g2, ma, instance="inst-a") == gw.NONE
        assert gw.heartbeat(cb2, sg, g2, mb, instance="inst-b") == gw.FENCED_INSTANCE_ID
        assert gw.heartbeat(cb2, sg, g2, mb2, instance="inst-b") == gw.NONE
        assert gw.sync(cb2, sg, g2, mb2, instance="inst-b") == (0, b"B")
        return g2
    finally:
        for x in (ca, cb, cb2):
            x.close()


def kill_coordinator_worker(c, group):
    node, _port = coordinator(c, group)
    part = gw.partition_for(group, N_OFFSETS)
    pid = c.worker_pid(node, OFFSETS, part)
    assert pid, "no coordinator worker on node %d" % node
    os.kill(pid, signal.SIGKILL)
    harness.log("killed coordinator worker %d (%s/%d on node %d)" % (pid, OFFSETS, part, node))
    return node


def kill_node(c, node):
    """SIGKILL a node's supervisor and every worker of it."""
    sup = c.supervisor_pid(node)
    assert sup, "node %d has no supervisor" % node
    pids = [sup] + harness.child_pids(sup)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    harness.log("killed node %d (%d processes)" % (node, len(pids)))


def member_alive(c, group, gen, mid, expect_offsets, timeout=30, nodes=None):
    """Waits for a coordinator to accept the member's heartbeat at gen; checks
    the committed offsets there. Returns (node, seconds)."""
    t0 = time.monotonic()

    def answers():
        n2, p2 = coordinator(c, group)
        cc = wire.Conn(p2)
        try:
            e = gw.heartbeat(cc, group, gen, mid)
            if e in (gw.NOT_COORDINATOR, gw.COORDINATOR_LOAD_IN_PROGRESS,
                     gw.COORDINATOR_NOT_AVAILABLE):
                return None
            return n2, p2, e
        except (OSError, AssertionError):
            return None
        finally:
            cc.close()
    n2, p2, e = harness.wait_for("the new coordinator to answer", answers, timeout, 0.1)
    took = time.monotonic() - t0
    assert e == gw.NONE, "heartbeat at generation %d after failover: error %d" % (gen, e)
    cc = wire.Conn(p2)
    try:
        parts = sorted(expect_offsets)
        got = gw.fetch(cc, group, TOPIC, parts)
        assert got == (0, {p: (o, 0) for p, o in expect_offsets.items()}), got
    finally:
        cc.close()
    return n2, took


def check_failover(c):
    """SIGKILL of the coordinator's worker, twice (the second time the
    replica that restarted from its snapshot and log may take over), then of
    the coordinator's whole node: the member keeps its generation and the
    committed offsets are there every time."""
    group = "wire-failover"
    node, port = coordinator(c, group)
    conn = wire.Conn(port)
    gen, mid = joined(conn, group, session_ms=60000, rebalance_ms=60000)
    # Enough commits that snapshots (threshold 20) are taken on every replica.
    for i in range(60):
        assert gw.commit(conn, group, gen, mid, TOPIC, {2: 1000 + i}) == {2: 0}
    assert gw.commit(conn, group, gen, mid, TOPIC, {2: 1234, 5: 77}) == {2: 0, 5: 0}
    conn.close()
    want = {2: 1234, 5: 77}
    for round_ in (1, 2):
        before = kill_coordinator_worker(c, group)
        after, took = member_alive(c, group, gen, mid, want)
        harness.log("worker kill %d: coordinator node %d -> %d in %.2f s, generation %d and "
                    "offsets kept" % (round_, before, after, took, gen))
        # Let the killed worker come back and catch up before the next kill.
        time.sleep(2)
    victim, _ = coordinator(c, group)
    kill_node(c, victim)
    others = [i for i in range(1, c.n + 1) if i != victim]
    after, took = member_alive(c, group, gen, mid, want, timeout=40, nodes=others)
    harness.log("node kill: coordinator node %d -> %d in %.2f s, generation %d and offsets kept"
                % (victim, after, took, gen))
    return victim


def check_kcat(c):
    recs = records.make("kc", 300, seq_header=False)
    clients.kcat_produce(c.bootstrap, TOPIC, recs, -1)

    def run():
        p = subprocess.run(
            ["kcat", "-b", c.bootstrap, "-G", "kc-group", TOPIC, "-e", "-q", "-f", "%p %o %s\n",
             "-X", "auto.offset.reset=earliest", "-X", "session.timeout.ms=10000"],
            capture_output=True, text=True, timeout=90)
        assert p.returncode == 0, p.stderr[-2000:]
        return [line.split(" ", 2) for line in p.stdout.splitlines()]
    got = run()
    values = [v for _, _, v in got]
    assert len(values) == 300 and len(set(values)) == 300, "kcat -G read %d" % len(values)
    more = records.make("kc2", 40, seq_header=False)
    clients.kcat_produce(c.bootstrap, TOPIC, more, -1)
    got2 = run()
    assert sorted(v for _, _, v in got2) == sorted(v for _, v, _ in more), \
        "second kcat -G run read %d records, expected the 40 new ones" % len(got2)
    harness.log("kcat -G: 300 records, then exactly the 40 new ones")


class Member(threading.Thread):
    """A confluent-kafka consumer that commits after processing each batch."""

    def __init__(self, bootstrap, name, seen, lock):
        super().__init__(daemon=True)
        self.c = confluent_kafka.Consumer({
            "bootstrap.servers": bootstrap, "group.id": "cg", "client.id": name,
            "enable.auto.commit": False, "auto.offset.reset": "earliest",
            "session.timeout.ms": 10000, "heartbeat.interval.ms": 500,
            "fetch.wait.max.ms": 100, "log_level": 3})
        self.name = name
        self.seen = seen
        self.lock = lock
        self.assigned = set()
        self.stop = threading.Event()
        self.c.subscribe([TOPIC], on_assign=self.on_assign, on_revoke=self.on_revoke)

    def on_assign(self, consumer, parts):
        self.assigned = {p.partition for p in parts}

    def on_revoke(self, consumer, parts):
        self.assigned = set()

    def run(self):
        while not self.stop.is_set():
            msgs = self.c.consume(500, 0.2)
            good = [m for m in msgs if not m.error()]
            if not good:
                continue
            with self.lock:
                for m in good:
                    self.seen.append((self.name, m.partition(), m.offset(), m.value().decode()))
            try:
                self.c.commit(asynchronous=False)
            except confluent_kafka.KafkaException as e:
                # A commit refused by a rebalance: its records may come
                # again to the next owner, which the exactly-once check
                # would report.
                harness.log("member %s: commit failed: %s" % (self.name, e))
        self.c.close()


def check_confluent(c):
    """a and b split the partitions; c joins (three-way split); b leaves (a
    and c split them); every record produced meanwhile is consumed exactly
    once across the group, each consumer committing after processing."""
    seen, lock = [], threading.Lock()
    a = Member(c.bootstrap, "a", seen, lock)
    b = Member(c.bootstrap, "b", seen, lock)
    a.start()
    b.start()

    def split(members):
        sets = [m.assigned for m in members]
        return (all(sets) and set().union(*sets) == set(range(PARTS)) and
                sum(len(x) for x in sets) == PARTS)
    harness.wait_for("two members to split the partitions", lambda: split([a, b]), 60, 0.2)
    harness.log("split: a %s, b %s" % (sorted(a.assigned), sorted(b.assigned)))
    want = set()

    def produce_and_consume(run, n):
        recs = records.make(run, n)
        _, errors = clients.rdkafka_produce(c.bootstrap, TOPIC, recs, -1)
        assert not errors, errors[:3]
        vals = {v for _, v, _ in recs}
        want.update(vals)
        harness.wait_for("%d records of %s consumed" % (n, run),
                         lambda: vals <= {x[3] for x in seen}, 60, 0.2)
        return vals
    produce_and_consume("cf1", 600)
    m3 = Member(c.bootstrap, "c", seen, lock)
    m3.start()
    harness.wait_for("a third member to get its share", lambda: split([a, b, m3]), 60, 0.2)
    harness.log("three-way: a %s, b %s, c %s" % (sorted(a.assigned), sorted(b.assigned),
                                                  sorted(m3.assigned)))
    produce_and_consume("cf2", 300)
    b.stop.set()
    b.join(30)
    harness.wait_for("a and c to take b's partitions", lambda: split([a, m3]), 60, 0.2)
    last = produce_and_consume("cf3", 300)
    for m in (a, m3):
        m.stop.set()
        m.join(30)
    ours = [x for x in seen if x[3] in want]
    values = [x[3] for x in ours]
    assert len(values) == len(set(values)) == 1200, \
        "consumed %d records (%d distinct), expected 1200 exactly once" % (
            len(values), len(set(values)))
    by = {n: sum(1 for x in ours if x[0] == n) for n in "abc"}
    assert all(by.values()), by
    assert not any(x[0] == "b" for x in ours if x[3] in last)
    harness.log("confluent-kafka: 1200 records exactly once (a %d, b %d, c %d)"
                % (by["a"], by["b"], by["c"]))


class KpMember(threading.Thread):
    """A kafka-python group consumer polling in its own thread, committing
    after each poll that returned records."""

    def __init__(self, bootstrap, name, got, lock):
        super().__init__(daemon=True)
        import kafka
        self.kc = kafka.KafkaConsumer(
            TOPIC, bootstrap_servers=bootstrap, group_id="kp-group", client_id=name,
            auto_offset_reset="earliest", enable_auto_commit=False, fetch_max_wait_ms=100,
            session_timeout_ms=10000, heartbeat_interval_ms=500)
        self.name, self.got, self.lock = name, got, lock
        self.assigned = set()
        self.stop = threading.Event()
        self.error = None

    def run(self):
        try:
            while not self.stop.is_set():
                polled = self.kc.poll(timeout_ms=200)
                self.assigned = {tp.partition for tp in self.kc.assignment()}
                vals = [m.value.decode() for msgs in polled.values() for m in msgs]
                if vals:
                    with self.lock:
                        self.got += [(self.name, v) for v in vals]
                    self.kc.commit()
        except Exception as e:  # reported by the test
            self.error = e
        finally:
            self.kc.close()


def check_kafka_python(c):
    """Two kafka-python consumers split the partitions and read every record
    once; the admin client lists and describes the group (two members);
    deleting it is NON_EMPTY_GROUP until they leave."""
    got, lock = [], threading.Lock()
    ms = [KpMember(c.bootstrap, n, got, lock) for n in ("kp1", "kp2")]
    for m in ms:
        m.start()
    try:
        harness.wait_for("two kafka-python members to split the partitions",
                         lambda: all(m.assigned for m in ms) and
                         ms[0].assigned | ms[1].assigned == set(range(PARTS)) and
                         not ms[0].assigned & ms[1].assigned, 60, 0.2)
        harness.log("kafka-python split: kp1 %s, kp2 %s" % (sorted(ms[0].assigned),
                                                           sorted(ms[1].assigned)))
        recs = records.make("kp", 200)
        clients.rdkafka_produce(c.bootstrap, TOPIC, recs, -1)
        want = {v for _, v, _ in recs}
        harness.wait_for("200 records read by kafka-python",
                         lambda: want <= {v for _, v in got}, 60, 0.2)
        ours = [(n, v) for n, v in got if v in want]
        assert len(ours) == len({v for _, v in ours}) == 200, "kafka-python read %d" % len(ours)
        assert {n for n, _ in ours} == {"kp1", "kp2"}, "one member read nothing"
        admin = KafkaAdminClient(bootstrap_servers=c.bootstrap)
        try:
            ids = {g[0] for g in admin.list_consumer_groups()}
            assert {"kp-group", "cg", "kc-group", "wire-static"} <= ids, ids
            desc = admin.describe_consumer_groups(["kp-group"])[0]
            assert desc.state == "Stable" and desc.protocol_type == "consumer", desc
            assert sorted(m.client_id for m in desc.members) == ["kp1", "kp2"], desc.members
            res = dict(admin.delete_consumer_groups(["kp-group"]))
            assert res["kp-group"].errno == gw.NON_EMPTY_GROUP, res
        finally:
            admin.close()
    finally:
        for m in ms:
            m.stop.set()
        for m in ms:
            m.join(30)
    assert not any(m.error for m in ms), [m.error for m in ms]
    admin = KafkaAdminClient(bootstrap_servers=c.bootstrap)
    try:
        res = dict(admin.delete_consumer_groups(["kp-group"]))
        assert res["kp-group"].errno == 0, res
        assert "kp-group" not in {g[0] for g in admin.list_consumer_groups()}
    finally:
        admin.close()
    harness.log("kafka-python: two members, 200 records once; list/describe; NON_EMPTY_GROUP, "
                "then deleted once empty")


def check_metrics(c):
    """The coordinators' metrics: the static group is Stable somewhere, and
    commits and rebalances were counted."""
    def stable():
        total = 0
        for i in range(1, c.n + 1):
            for line in c.metrics(i).splitlines():
                if line.startswith("fjord_groups{") and 'state="Stable"' in line:
                    total += int(line.rsplit(" ", 1)[1])
        return total >= 1 and total
    n_stable = harness.wait_for("a Stable group in fjord_groups", stable, 10, 0.5)
    commits, _ = c.metric_sum("fjord_group_offset_commits_total", internal=True)
    rebalances, _ = c.metric_sum("fjord_group_rebalances_total", internal=True)
    assert commits >= 60 and rebalances >= 1, (commits, rebalances)
    harness.log("metrics: %d Stable group(s), %d offsets committed, %d rebalances"
                % (n_stable, commits, rebalances))


def fjordctl(c, *args):
    return subprocess.run([os.path.join(harness.BIN, "fjordctl"), "--nodes", str(c.n),
                           "--admin-base", str(c.admin_base)] + list(args),
                          capture_output=True, text=True, timeout=30)


def check_fjordctl(c):
    """fjordctl groups lists every group with its state; fjordctl group
    shows members and the lag of committed offsets (kc-group committed the
    end of the topic, and 1400 records were produced after it)."""
    r = fjordctl(c, "groups")
    assert r.returncode == 0, r.stderr
    lines = {l.split()[0]: l.split() for l in r.stdout.splitlines()[1:] if l.strip()}
    assert lines.get("wire-static", [None, None])[1] == "Stable", r.stdout
    assert lines["wire-static"][3] == "2", r.stdout
    assert lines.get("kc-group", [None, None])[1] == "Empty", r.stdout
    r = fjordctl(c, "group", "wire-static")
    assert r.returncode == 0 and "inst" not in r.stderr, r.stderr
    assert r.stdout.count("/127.0.0.1") == 2, r.stdout
    def kc_lag():
        r = fjordctl(c, "group", "kc-group")
        assert r.returncode == 0, r.stderr
        rows = [l.split() for l in r.stdout.splitlines() if l.startswith(TOPIC + " ")]
        assert len(rows) == PARTS, r.stdout
        return sum(int(x[4]) for x in rows), r.stdout
    # High watermarks reach /v1/status with the workers' once-a-second status.
    try:
        harness.wait_for("kc-group to lag 1400 records", lambda: kc_lag()[0] == 1400, 10, 0.5)
    except AssertionError:
        raise AssertionError("kc-group lag %d, expected 1400:\n%s" % kc_lag())
    r = fjordctl(c, "group", "no-such-group")
    assert r.returncode == 1 and "no-such-group" in r.stderr, (r.returncode, r.stderr)
    harness.log("fjordctl: groups and group (kc-group lags 1400 records)")


def test():
    c = cluster.Cluster("groups", 3, KAFKA_BASE, KAFKA_BASE + 100, KAFKA_BASE + 200,
                        [(TOPIC, PARTS, 3)], extra_args=["--snapshot-threshold", "20"])
    try:
        c.start()
        wait_coordinators(c)
        check_protocol(c)
        dead = check_failover(c)
        # The killed node comes back (the rest runs on all three).
        c.start()
        wait_coordinators(c)
        harness.log("node %d restarted" % dead)
        check_kcat(c)
        check_confluent(c)
        check_kafka_python(c)
        check_metrics(c)
        check_fjordctl(c)
    except BaseException:
        harness.log(c.tail_logs(30))
        raise
    finally:
        c.cleanup()


if __name__ == "__main__":
    harness.run(test, "test_groups")
