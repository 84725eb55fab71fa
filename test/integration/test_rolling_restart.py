#!/usr/bin/python3
"""test_rolling_restart.py - restart the nodes of a 3-node cluster one after
another with SIGTERM while an idempotent acks=-1 librdkafka producer writes:
each node hands its leaderships away before it stops, so nothing
acknowledged is lost, nothing is duplicated, the producer sees no delivery
error, and once every node is back leadership returns to each partition's
preferred replica."""
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

# Kafka 29951..3, Raft 29961..3, admin 29971..3: clear of the other tests.
KAFKA_BASE = int(os.environ.get("FJORD_IT_PORT_BASE", "29950"))
TOPIC = "roll"
PARTS = 6
N = 30000


def preferred_leaders(c):
    """True when every partition is led by its preferred (first) replica."""
    reps = c.replicas()
    if len(reps) != PARTS:
        return False
    for by_node in reps.values():
        leaders = [i for i, r in by_node.items() if r.get("role") == "leader"]
        prefs = {r.get("preferred_leader") for r in by_node.values()}
        if len(leaders) != 1 or prefs != {leaders[0]}:
            return False
    return True


def test():
    c = cluster.Cluster("roll", 3, KAFKA_BASE, KAFKA_BASE + 10, KAFKA_BASE + 20,
                        [(TOPIC, PARTS, 3)])
    try:
        c.start(wait=60)
        harness.wait_for("preferred leaders at start", lambda: preferred_leaders(c), 30, 0.2)
        recs = records.make("roll", N)
        result = {}

        def produce():
            result["delivered"], result["errors"] = clients.rdkafka_produce(
                c.bootstrap, TOPIC, recs, -1,
                extra={"enable.idempotence": True, "linger.ms": 2}, timeout=180,
                pace=(100, 0.02), progress=result)
        t = threading.Thread(target=produce)
        t.start()
        for node in (1, 2, 3):
            time.sleep(1.0)
            sup = c.supervisor_pid(node)
            assert sup, "node %d is not running" % node
            sent_before = result.get("sent", 0)
            t_term = time.monotonic()
            os.kill(sup, signal.SIGTERM)
            harness.wait_for("node %d to stop" % node, lambda: not c.supervisor_pid(node), 20, 0.05)
            took = time.monotonic() - t_term
            assert 0 < sent_before < N, "restart of node %d did not land mid-stream" % node
            c.start(wait=60)
            c.remember_pids()
            harness.log("node %d: drained and stopped in %.0f ms, restarted" % (node, 1000 * took))
        t.join(timeout=240)
        assert not t.is_alive(), "producer did not finish"
        assert not result["errors"], "delivery errors: %r" % result["errors"][:3]
        assert len(result["delivered"]) == N, "%d of %d acknowledged" % (len(result["delivered"]), N)

        got = clients.kcat_consume(c.bootstrap, TOPIC, N)
        values = [r[3] for r in got]
        acked = {v for _, _, v in result["delivered"]}
        missing = acked - set(values)
        assert not missing, "%d acknowledged records lost" % len(missing)
        dups = len(values) - len(set(values))
        assert dups == 0, "%d duplicates with an idempotent producer" % dups
        # Produce order per partition: sequence numbers only grow.
        last = collections.defaultdict(lambda: -1)
        for p, _, _, v, _ in got:
            seq = int(v.split("-v", 1)[1].split("-", 1)[0])
            assert seq > last[p], "partition %d out of order at seq %d" % (p, seq)
            last[p] = seq
        harness.wait_for("leadership back on the preferred replicas",
                         lambda: preferred_leaders(c), 30, 0.2)
        c.wait_replicas_equal(timeout=60)
        harness.log("rolling restart: %d acknowledged, 0 lost, 0 duplicates, 0 errors; "
                    "preferred leaders restored, replicas equal" % N)
    except Exception:
        print(c.tail_logs(), file=sys.stderr)
        raise
    finally:
        c.cleanup()


if __name__ == "__main__":
    harness.run(test, "rolling_restart")
