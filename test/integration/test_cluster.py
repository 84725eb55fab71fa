#!/usr/bin/python3
"""test_cluster.py - a 3-node cluster with one topic of 9 partitions x 3
replicas: stable elections, fast failover of killed leader workers with no
acknowledged record lost, identical replicas, and a whole node killed (the
partitions it led writable again within 2 s) and restarted while the cluster
keeps serving."""
import collections
import os
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
import clients  # noqa: E402
import cluster  # noqa: E402
import harness  # noqa: E402
import records  # noqa: E402

KAFKA_BASE = int(os.environ.get("FJORD_IT_PORT_BASE", "29500"))
STABLE_S = float(os.environ.get("FJORD_IT_STABLE_S", "60"))
TOPIC = "rep"
PARTS = 9
GROUPS = PARTS + 1  # and __controller


def check_stability(c, t_up, first_leaders, first_changes):
    left = STABLE_S - (time.monotonic() - t_up)
    if left > 0:
        harness.log("watching the idle cluster for %.0f s" % left)
        time.sleep(left)
    leaders = c.wait_single_leaders(timeout=5)
    assert leaders == first_leaders, "leadership moved while idle: %r -> %r" % (
        first_leaders, leaders)
    elections, _ = c.metric_sum("fjord_raft_elections_total")
    _, max_term = c.metric_sum("fjord_raft_term")
    changes, _ = c.metric_sum("fjord_raft_leader_changes_total")
    lower, _ = c.metric_sum("fjord_raft_lower_term_messages_total")
    per_node = collections.Counter(ls[0] for ls in leaders.values())
    harness.log("after %.0f s: elections %d, max term %d, lower-term messages %d, leaders per node %s"
                % (STABLE_S, elections, max_term, lower, dict(sorted(per_node.items()))))
    assert elections <= GROUPS + 3, "too many elections: %d" % elections
    assert max_term <= 5, "term too high: %d" % max_term
    assert changes == first_changes, "leader changes went %d -> %d" % (first_changes, changes)
    assert lower < 100, "lower-term messages: %d" % lower
    assert max(per_node.values()) <= 4, "unbalanced leaders: %r" % per_node


def leader_node(c, partition):
    ls = c.wait_single_leaders(timeout=30)
    return ls[(TOPIC, partition)][0]


def test():
    c = cluster.Cluster("cluster", 3, KAFKA_BASE, KAFKA_BASE + 100, KAFKA_BASE + 200,
                        [(TOPIC, PARTS, 3)])
    try:
        t0 = time.monotonic()
        c.start(wait=60)
        t_up = time.monotonic()
        harness.log("cluster up in %.1f s" % (t_up - t0))
        first_leaders = c.wait_single_leaders(timeout=10)
        first_changes, _ = c.metric_sum("fjord_raft_leader_changes_total")
        check_stability(c, t_up, first_leaders, first_changes)

        # Kill -9 the leader worker of three partitions under acks=-1 load.
        recs = records.make("fo", 20000)
        result = {}

        def produce():
            result["delivered"], result["errors"] = clients.rdkafka_produce(
                c.bootstrap, TOPIC, recs, -1,
                extra={"linger.ms": 2, "enable.idempotence": True}, timeout=120,
                pace=(100, 0.02), progress=result)
        t = threading.Thread(target=produce)
        t.start()
        failover = []
        for victim in (0, 3, 6):
            time.sleep(1.0)
            node = leader_node(c, victim)
            pid = harness.wait_for("leader worker pid", lambda: c.worker_pid(node, TOPIC, victim))
            os.kill(pid, signal.SIGKILL)
            t_kill = time.monotonic()
            t_ok = cluster.probe_write(c.bootstrap, TOPIC, victim)
            failover.append(t_ok - t_kill)
            harness.log("killed leader of %s/%d on node %d (pid %d): acks=-1 write ok after %.0f ms"
                        % (TOPIC, victim, node, pid, 1000 * (t_ok - t_kill)))
            assert 0 < result.get("sent", 0) < len(recs), "kill did not land mid-stream"
        t.join(timeout=180)
        assert not t.is_alive(), "producer did not finish"
        assert not result["errors"], "delivery errors: %r" % result["errors"][:3]
        acked = {v for _, _, v in result["delivered"]}
        assert len(acked) == len(recs), "%d of %d acknowledged" % (len(acked), len(recs))
        got = clients.kcat_consume(c.bootstrap, TOPIC, len(acked))
        values = [r[3] for r in got if r[3] != "probe"]
        missing = acked - set(values)
        assert not missing, "%d acknowledged records lost, e.g. %r" % (len(missing), sorted(missing)[:3])
        for p in range(PARTS):
            offs = [r[1] for r in got if r[0] == p]
            assert offs == list(range(len(offs))), "partition %d offsets have gaps" % p
        # Idempotent producer: every acknowledged record exactly once, and
        # in each partition in the order it was produced.
        dups = len(values) - len(set(values))
        assert dups == 0, "%d duplicates stored despite idempotence" % dups
        for p in range(PARTS):
            seqs = [int(r[3].split("-v", 1)[1].split("-", 1)[0])
                    for r in got if r[0] == p and r[3] != "probe"]
            assert seqs == sorted(seqs), "partition %d out of produce order near %r" % (
                p, next(seqs[i:i + 2] for i in range(len(seqs) - 1) if seqs[i] > seqs[i + 1]))
        harness.log("failover: %d acknowledged, 0 lost, 0 duplicates, in order; failover ms %s"
                    % (len(acked), [int(1000 * f) for f in failover]))
        assert max(failover) < 3.0, "failover too slow: %r" % failover
        reps = c.wait_replicas_equal(timeout=60)
        harness.log("all %d partitions: 3 replicas with equal committed checksums" % len(reps))

        # Kill a whole node (supervisor and workers); the others keep serving.
        # Its supervisor channels end with EOF, so the partitions it led
        # fail over at once instead of after the election timeout.
        victim_node = 3
        led = sorted(p for (tp, p), ls in c.wait_single_leaders(timeout=30).items()
                     if tp == TOPIC and ls == [victim_node])
        assert led, "node %d leads no partition; the node-kill failover is not measured" % (
            victim_node)
        sup = c.supervisor_pid(victim_node)
        workers = harness.child_pids(sup)
        os.kill(sup, signal.SIGKILL)
        t_kill = time.monotonic()
        for w in workers:
            try:
                os.kill(w, signal.SIGKILL)
            except ProcessLookupError:
                pass
        survivors = ",".join("127.0.0.1:%d" % (KAFKA_BASE + i) for i in (1, 2))
        node_failover = {}

        def probe(p):
            node_failover[p] = cluster.probe_write(survivors, TOPIC, p) - t_kill
        probes = [threading.Thread(target=probe, args=(p,)) for p in led]
        for th in probes:
            th.start()
        for th in probes:
            th.join(timeout=60)
        assert sorted(node_failover) == led, "probe writes failed: %r of %r" % (
            sorted(node_failover), led)
        harness.log("node %d killed: it led %s/%s; acks=-1 write ok after ms %s" % (
            victim_node, TOPIC, led, [int(1000 * node_failover[p]) for p in led]))
        slow = {p: round(t, 2) for p, t in node_failover.items() if t >= 2.0}
        assert not slow, "node-kill failover too slow (s): %r" % slow
        more = records.make("nodekill", 3000)
        delivered, errors = clients.rdkafka_produce(survivors, TOPIC, more, -1, timeout=90)
        assert not errors and len(delivered) == len(more), \
            "cluster did not keep serving with node 3 down: %d delivered, errors %r" % (
                len(delivered), errors[:3])
        c.wait_single_leaders(timeout=30, nodes=[1, 2])
        harness.log("node %d killed: %d acks=-1 records written by the other two" %
                    (victim_node, len(delivered)))
        c.start(wait=60)
        c.remember_pids()
        reps = c.wait_replicas_equal(timeout=90)
        harness.log("node %d restarted and caught up: replicas equal on all %d partitions" %
                    (victim_node, len(reps)))
        got = clients.kcat_consume(c.bootstrap, TOPIC, len(acked) + len(more))
        values = {r[3] for r in got}
        lost = (acked | {v for _, _, v in delivered}) - values
        assert not lost, "%d acknowledged records lost after node restart" % len(lost)
    except Exception:
        print(c.tail_logs(), file=sys.stderr)
        raise
    finally:
        c.cleanup()


if __name__ == "__main__":
    harness.run(test, "cluster")
