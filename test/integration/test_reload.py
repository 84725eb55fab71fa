#!/usr/bin/python3
"""test_reload.py - raising a topic's partition count in the INI file and
sending SIGHUP starts workers for the new partitions, which then take
produce and fetch; a broken file on SIGHUP is refused and the node keeps
its old configuration; a key that applies live (snapshot_threshold) reaches
the running workers without a restart, one that needs a worker restart
(max_entries_per_batch) restarts them with the new value."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import clients  # noqa: E402
import harness  # noqa: E402

PORT_BASE = int(os.environ.get("FJORD_IT_PORT_BASE", "29300"))


def produce_to(node, topic, partition, n):
    import confluent_kafka
    p = confluent_kafka.Producer({"bootstrap.servers": node.bootstrap, "acks": "all"})
    errors = []
    for i in range(n):
        p.produce(topic, value=("p%d-%d" % (partition, i)).encode(), partition=partition,
                  on_delivery=lambda err, msg: err and errors.append(err))
    assert p.flush(30) == 0
    assert not errors, errors[:3]


def test():
    node = harness.Node("reload", PORT_BASE, {"grow": 2})
    try:
        node.start()
        node.wait_serving("grow", 2)

        # A broken file is refused; the node keeps serving the old config.
        good = open(node.ini).read()
        with open(node.ini, "a") as f:
            f.write("\n[topic.grow]\npartitions = banana\n")
        node.reload()
        harness.wait_for("the reload error in the log",
                         lambda: "banana" in node.tail(200) or "partitions" in node.tail(20))
        time.sleep(0.5)
        assert node.proc.poll() is None, "supervisor died on a bad reload"
        node.wait_serving("grow", 2)

        # Grow the topic and add one.
        with open(node.ini, "w") as f:
            f.write(good.replace("[topic.grow]\npartitions = 2", "[topic.grow]\npartitions = 5")
                    + "\n[topic.fresh]\npartitions = 3\n")
        node.reload()
        node.wait_serving("grow", 5)
        node.wait_serving("fresh", 3)
        for p in range(5):
            produce_to(node, "grow", p, 50)
        for p in range(3):
            produce_to(node, "fresh", p, 10)
        got = clients.kcat_consume(node.bootstrap, "grow", 250)
        for p in range(5):
            vals = [r[3] for r in got if r[0] == p]
            assert vals == ["p%d-%d" % (p, i) for i in range(50)], \
                "partition %d of grow: %r..." % (p, vals[:3])
        got = clients.kcat_consume(node.bootstrap, "fresh", 30)
        assert sorted(r[3] for r in got) == sorted("p%d-%d" % (p, i) for p in range(3) for i in range(10))

        # Shrinking is refused: partitions only grow.
        with open(node.ini, "w") as f:
            f.write(good.replace("[topic.grow]\npartitions = 2", "[topic.grow]\npartitions = 1")
                    + "\n[topic.fresh]\npartitions = 3\n")
        node.reload()
        time.sleep(1.0)
        node.wait_serving("grow", 5)
        harness.log("grew grow 2->5 and added fresh/3; shrink ignored")

        # A key marked live in the table of keys reaches the running workers
        # (IPC_CONFIG) without restarting any of them.
        current = open(node.ini).read()
        # 8 data workers and the 3 of __consumer_offsets.
        pids = sorted(node.worker_pids())
        assert len(pids) == 12, pids  # 8 partitions, 3 of __consumer_offsets, __controller
        with open(node.ini, "w") as f:
            f.write(current + "\n[raft]\nsnapshot_threshold = 777\n")
        node.reload()
        harness.wait_for("every worker to take snapshot_threshold 777",
                         lambda: node.tail(400).count("raft.snapshot_threshold is now 777") >= 13)
        assert "sent to 12 running worker(s)" in node.tail(400), node.tail(40)
        assert sorted(node.worker_pids()) == pids, "a live key restarted workers"

        # A key marked worker restart restarts every worker with its new value.
        with open(node.ini, "w") as f:
            f.write(current + "\n[raft]\nsnapshot_threshold = 777\nmax_entries_per_batch = 50\n")
        node.reload()

        def restarted():
            now = node.worker_pids()
            if len(now) != 12 or set(now) & set(pids):
                return False
            args = [open("/proc/%d/cmdline" % p, "rb").read().split(b"\0") for p in now]
            return all(a[a.index(b"--max-entries-per-batch") + 1] == b"50" and
                       a[a.index(b"--snapshot-threshold") + 1] == b"777" for a in args)
        harness.wait_for("every worker to restart with max_entries_per_batch 50", restarted)
        node.wait_serving("grow", 5)
        node.wait_serving("fresh", 3)
        harness.log("snapshot_threshold applied live; max_entries_per_batch restarted workers")
    except Exception:
        print(node.tail(), file=sys.stderr)
        raise
    finally:
        node.cleanup()


if __name__ == "__main__":
    harness.run(test, "reload")
