#!/usr/bin/python3
"""test_supervisor_stall.py - one supervisor of a 3-node cluster frozen
with SIGSTOP for 12 s. Its workers keep running, so no partition needs a
new leader. The other supervisors must notice the silence on its channel
within the bound (3.5 s: it sends LEADERS every second) and close its
channel to them after a GOODBYE; when it resumes, it redials, every channel
comes back and nobody takes the freeze for a crash: no election, no term
change, the same leaders, and the resumed node reads the GOODBYEs (the
close was chosen by live peers). Before, the silence went unnoticed for
10 s and the channels then ended without a word, which a peer that is not
itself frozen takes for a crash (test_supervisor_peers covers that)."""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import cluster  # noqa: E402
import harness  # noqa: E402

# Kafka 29851..3, Raft 29861..3, admin 29871..3: clear of the other tests.
KAFKA_BASE = int(os.environ.get("FJORD_IT_PORT_BASE", "29850"))
TOPIC = "stall"
PARTS = 6
STOP_S = 12
SILENCE_S = 3.5


def channels_up(c, nodes=(1, 2, 3)):
    for i in nodes:
        try:
            st = c.status(i)
        except OSError:
            return False
        for n in st["nodes"]:
            if not n["self"] and not (n["out_connected"] and n["in_connected"] and n["up"]):
                return False
    return True


def leadership(c):
    """{partition: (leader node, term)}; None unless exactly one leader each."""
    out = {}
    for (topic, part), by in c.replicas().items():
        leads = [(i, r["term"]) for i, r in by.items() if r["role"] == "leader"]
        if len(leads) != 1:
            return None
        out[part] = leads[0]
    return out if len(out) == PARTS else None


def settled(c):
    reps = c.replicas()
    return len(reps) == PARTS and all(
        r["role"] == "leader" for by in reps.values() for r in by.values()
        if r["preferred_leader"] == r["node_id"])


def log_since(c, i, offset):
    with open(os.path.join(c.dir, "node%d" % i, "node.log"), "rb") as f:
        f.seek(offset)
        return f.read()


def log_size(c, i):
    return os.path.getsize(os.path.join(c.dir, "node%d" % i, "node.log"))


def test():
    c = cluster.Cluster("stall", 3, KAFKA_BASE, KAFKA_BASE + 10, KAFKA_BASE + 20,
                        [(TOPIC, PARTS, 3)])
    try:
        c.start()
        c.wait_single_leaders()
        harness.wait_for("every partition led by its preferred replica", lambda: settled(c), 30,
                         0.2)
        harness.wait_for("every supervisor channel up", lambda: channels_up(c), 15, 0.2)
        before = harness.wait_for("one leader per partition", lambda: leadership(c), 10, 0.2)
        elections = c.metric_sum("fjord_raft_elections_total")[0]
        offsets = {i: log_size(c, i) for i in (1, 2, 3)}

        pid = c.supervisor_pid(3)
        assert pid, "no supervisor pid for node 3"
        t0 = time.monotonic()
        os.kill(pid, signal.SIGSTOP)
        try:
            def noticed():
                return all(b"peer 3: nothing on its channel" in log_since(c, i, offsets[i])
                           for i in (1, 2))
            harness.wait_for("nodes 1 and 2 to notice node 3's silence", noticed,
                             SILENCE_S + 4, 0.1)
            took = time.monotonic() - t0
            harness.log("node 3 frozen: silence noticed by nodes 1 and 2 after %.1f s" % took)
            assert took >= SILENCE_S - 1.2, "silence noticed after only %.1f s" % took
            time.sleep(max(0.0, STOP_S - (time.monotonic() - t0)))
        finally:
            os.kill(pid, signal.SIGCONT)
        t1 = time.monotonic()
        harness.wait_for("every supervisor channel back", lambda: channels_up(c), 15, 0.1)
        harness.log("node 3 resumed after %d s: every channel back in %.1f s"
                    % (STOP_S, time.monotonic() - t1))
        time.sleep(3)  # a forced campaign would have happened by now
        after = harness.wait_for("one leader per partition", lambda: leadership(c), 10, 0.2)
        assert after == before, "leadership changed: %s -> %s" % (before, after)
        now = c.metric_sum("fjord_raft_elections_total")[0]
        assert now == elections, "%d election(s) after the freeze" % (now - elections)
        logs3 = log_since(c, 3, offsets[3])
        assert b"our channel on purpose (went silent)" in logs3, \
            "node 3 did not see a GOODBYE on its channels"
        for i in (1, 2, 3):
            assert b"campaign" not in log_since(c, i, offsets[i]).lower(), \
                "node %d logged a campaign" % i
    except Exception:
        print(c.tail_logs(), file=sys.stderr)
        raise
    finally:
        c.cleanup()


if __name__ == "__main__":
    harness.run(test, "supervisor_stall")
