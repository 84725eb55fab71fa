#!/usr/bin/python3
"""test_upgrade.py - a 3-node cluster whose data was written before the
catalog (no __controller replica, topic directories without an id marker)
starts under this release with every record and offset intact: its first
catalog adopts the INI topics with the placement they had, so every worker
finds its old directory, and their topic ids stay the name-derived ones.

The old data comes from FJORD_OLD_BIN (the binaries of the previous
release) when set; otherwise this release writes it and the test removes
what only this release writes (the __controller directories, the topic id
markers), which leaves what the previous release wrote."""
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(__file__))
import clients  # noqa: E402
import cluster  # noqa: E402
import harness  # noqa: E402

BASE = int(os.environ.get("FJORD_IT_PORT_BASE", "31030"))
OLD_BIN = os.environ.get("FJORD_OLD_BIN")


def produce(c, topic, parts, n):
    import confluent_kafka
    p = confluent_kafka.Producer({"bootstrap.servers": c.bootstrap, "acks": "all"})
    errors = []
    for part in range(parts):
        for k in range(n):
            p.produce(topic, value=b"%d-%d" % (part, k), partition=part,
                      on_delivery=lambda err, m: err and errors.append(err))
    assert p.flush(30) == 0 and not errors, errors[:3]


def test():
    c = cluster.Cluster("upgrade", 3, BASE, BASE + 100, BASE + 200, [("old", 4, 3)])
    try:
        if OLD_BIN:
            saved = harness.BIN
            harness.BIN = OLD_BIN
            c.start()
            harness.BIN = saved
        else:
            c.start()
        produce(c, "old", 4, 100)
        before = clients.kcat_consume(c.bootstrap, "old", 400)
        c.stop()
        for i in range(1, 4):
            d = os.path.join(c.dir, "node%d" % i, "data")
            shutil.rmtree(os.path.join(d, "__controller-0"), ignore_errors=True)
            for name in os.listdir(d):
                marker = os.path.join(d, name, "topic_id")
                if os.path.exists(marker):
                    os.unlink(marker)
        dirs = {i: sorted(os.listdir(os.path.join(c.dir, "node%d" % i, "data")))
                for i in range(1, 4)}
        c.start()
        after = clients.kcat_consume(c.bootstrap, "old", 400)
        assert sorted(after) == sorted(before), "records or offsets changed"
        for i in range(1, 4):
            now = sorted(n for n in os.listdir(os.path.join(c.dir, "node%d" % i, "data"))
                         if not n.startswith("__"))
            assert now == [n for n in dirs[i] if not n.startswith("__")], (i, now, dirs[i])
        produce(c, "old", 4, 10)
        assert len(clients.kcat_consume(c.bootstrap, "old", 440)) == 440
        harness.log("%s data: 400 records at the same offsets after the upgrade, "
                    "the same directories, 40 more written"
                    % ("previous release's" if OLD_BIN else "pre-catalog"))
    except Exception:
        print(c.tail_logs(60), file=sys.stderr)
        raise
    finally:
        c.cleanup()


if __name__ == "__main__":
    harness.run(test, "upgrade")
