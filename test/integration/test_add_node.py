#!/usr/bin/python3
"""test_add_node.py - a fourth node joins a running 3-node cluster by a
rolling restart with the new [cluster] list: no existing replica moves and
no acknowledged record is lost; the new node runs a non-voting learner
replica of __controller (the voters are the first three nodes, and they
restart with node 4 as their learner), follows the catalog its own learner
applies, and a topic created through it places replicas on it and serves."""
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import clients  # noqa: E402
import cluster  # noqa: E402
import harness  # noqa: E402
import test_controller as tc  # noqa: E402

BASE = int(os.environ.get("FJORD_IT_PORT_BASE", "31060"))


def restart_node(c, i, n_total):
    """Stops node i (SIGTERM, waits) and starts it again from an INI listing
    n_total nodes."""
    pid = c.supervisor_pid(i)
    if pid:
        os.kill(pid, signal.SIGTERM)
        harness.wait_for("node %d to stop" % i, lambda: not harness.alive(pid), 30, 0.1)
    ini = os.path.join(c.dir, "node%d" % i, "fjord.ini")
    text = open(ini).read()
    for j in range(1, n_total + 1):
        line = "node.%d = 127.0.0.1:%d,127.0.0.1:%d" % (j, c.kafka_base + j, c.raft_base + j)
        if line not in text:
            text = text.replace("[cluster]\n", "[cluster]\n%s\n" % line)
    with open(ini, "w") as f:
        f.write(text)
    log = open(os.path.join(c.dir, "node%d" % i, "node.log"), "ab")
    p = subprocess.Popen([os.path.join(harness.BIN, "fjord-supervisor"), "-c", ini],
                         stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    with open(os.path.join(c.dir, "node%d" % i, "supervisor.pid"), "w") as f:
        f.write(str(p.pid))
    c.known_pids.add(p.pid)
    harness.wait_for("node %d's Kafka port" % i,
                     lambda: harness.port_open("127.0.0.1", c.kafka_base + i), 20, 0.1)


def catalog(c, i):
    url = "http://127.0.0.1:%d/v1/catalog" % (c.admin_base + i)
    with urllib.request.urlopen(url, timeout=2) as r:
        return json.loads(r.read())


def catalog_version(c, i):
    return int(catalog(c, i)["version"])


def controller_replica(c, i):
    """Node i's __controller/0 entry of /v1/status, or None."""
    for r in c.status(i).get("replicas", []):
        if r["topic"] == "__controller" and int(r["partition"]) == 0:
            return r
    return None


def check_learner(c):
    """Node 4 runs a serving __controller learner that follows a voter as its
    leader; nodes 1-3 are its voters (one leader, two followers)."""
    def learner():
        r = controller_replica(c, 4)
        ok = r is not None and r.get("serving") and r["role"] == "learner"
        return r if ok and int(r["leader"]) in (1, 2, 3) else None
    r4 = harness.wait_for("node 4's __controller learner to serve", learner, 30, 0.3)
    roles = sorted((controller_replica(c, i) or {}).get("role") for i in (1, 2, 3))
    assert roles == ["follower", "follower", "leader"], roles
    for i in (1, 2, 3, 4):
        args = member_args(c, i)
        assert args == ("1,2,3", "4"), "node %d's __controller worker: %r" % (i, args)
        # what fjordctl cluster prints as each node's part in the controller
        doc = catalog(c, i)
        assert (doc["controller_voters"], doc["controller_learners"]) == ([1, 2, 3], [4]), \
            "node %d's /v1/catalog: voters %r, learners %r" % (
                i, doc["controller_voters"], doc["controller_learners"])
    return r4


def member_args(c, i):
    """(--replicas, --learners) of node i's __controller worker process."""
    pid = harness.worker_pid(c.supervisor_pid(i), "__controller", 0)
    assert pid, "no __controller worker process under node %d's supervisor" % i
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        args = [a.decode() for a in f.read().split(b"\0")]
    def flag(name):
        return args[args.index(name) + 1] if name in args else None
    return flag("--replicas"), flag("--learners")


def wait_version(c, timeout=30):
    """Node 4's catalog version reaches the voters' (read once, up front)."""
    want = max(catalog_version(c, i) for i in (1, 2, 3))
    assert want > 0, want
    harness.wait_for("node 4's catalog to reach version %d" % want,
                     lambda: catalog_version(c, 4) >= want, timeout, 0.3)
    return want


def check_logs(c):
    """Node 4's first catalog came from its learner caught up (not the empty
    version 0 it starts with), no peer refused node 4's LEADERS table, and
    node 4 itself answered the CreateTopics (forwarded to the leader)."""
    def log(i):
        with open(os.path.join(c.dir, "node%d" % i, "node.log"), errors="replace") as f:
            return f.read()
    first = re.findall(r"controller: first catalog, version (\d+)", log(4))
    assert first and int(first[-1]) > 0, first
    for i in (1, 2, 3):
        assert "peer 4: undecodable LEADERS" not in log(i), "node %d refused node 4's LEADERS" % i
    assert "CreateTopics fresh: created, 4 partitions, replication 2" in log(4), \
        "node 4 did not answer the CreateTopics sent to it"
    return int(first[-1])


def kill_learner_and_catch_up(c):
    """Kill -9 node 4's learner; a topic created meanwhile (through node 1)
    reaches node 4 once its supervisor has restarted it: the learner
    catches up from its own stored log and the leader's appends."""
    old = harness.worker_pid(c.supervisor_pid(4), "__controller", 0)
    os.kill(old, signal.SIGKILL)
    from kafka import KafkaAdminClient
    from kafka.admin import NewTopic
    a = KafkaAdminClient(bootstrap_servers="127.0.0.1:%d" % (c.kafka_base + 1),
                         request_timeout_ms=20000)
    a.create_topics([NewTopic("later", 2, 2)])
    a.close()
    v = wait_version(c, timeout=60)
    tc.wait_agreed(c, "later", 2)
    new = harness.worker_pid(c.supervisor_pid(4), "__controller", 0)
    assert new and new != old, (old, new)
    r = controller_replica(c, 4)
    assert r is not None and r["role"] == "learner", r
    return v


def test():
    c = cluster.Cluster("addnode", 3, BASE, BASE + 100, BASE + 200, [("keep", 6, 3)])
    tc.N = 3
    try:
        c.start()
        before = tc.wait_agreed(c, "keep", 6)
        tc.produce_consume(c, "keep", 6, 30)
        # Node 4's directory and INI, as tools/cluster lays them out.
        os.makedirs(os.path.join(c.dir, "node4"), exist_ok=True)
        ini1 = open(os.path.join(c.dir, "node1", "fjord.ini")).read()
        ini4 = ini1.replace("id = 1\n", "id = 4\n").replace("node1", "node4")
        for key, base in (("kafka_listen", c.kafka_base), ("raft_listen", c.raft_base),
                          ("admin_listen", c.admin_base)):
            ini4 = ini4.replace("%s = 127.0.0.1:%d" % (key, base + 1),
                                "%s = 127.0.0.1:%d" % (key, base + 4))
        with open(os.path.join(c.dir, "node4", "fjord.ini"), "w") as f:
            f.write(ini4)
        for i in (1, 2, 3):
            restart_node(c, i, 4)
            tc.wait_agreed(c, "keep", 6, timeout=60)
        c.n = 4
        tc.N = 4
        restart_node(c, 4, 4)
        r4 = check_learner(c)
        v = wait_version(c)
        harness.wait_for("node 4 to follow the catalog",
                         lambda: "keep" in tc.metadata(c, 4, ["keep"]), 30, 0.3)
        after = tc.wait_agreed(c, "keep", 6, timeout=60)
        assert after == before, "replicas moved: %r -> %r" % (before, after)
        got = clients.kcat_consume(c.bootstrap, "keep", 180)
        assert len(got) == 180, len(got)
        from kafka import KafkaAdminClient
        from kafka.admin import NewTopic
        a = KafkaAdminClient(bootstrap_servers="127.0.0.1:%d" % (c.kafka_base + 4),
                             request_timeout_ms=20000)
        # kafka-python sends CreateTopics to the controller Metadata names (a
        # voter); aim it at node 4 itself, whose learner cannot propose: its
        # supervisor must forward the command to the leader.
        assert a._controller_id in (1, 2, 3), a._controller_id
        a._controller_id = 4
        a.create_topics([NewTopic("fresh", 4, 2)])
        a.close()
        reps = tc.wait_agreed(c, "fresh", 4)
        v2 = wait_version(c)
        assert v2 > v, (v, v2)
        first = check_logs(c)
        on4 = [p for p, r in reps.items() if 4 in r]
        assert on4, reps
        tc.wait_workers(c, "fresh", reps)
        tc.produce_consume(c, "fresh", 4, 20)
        v3 = kill_learner_and_catch_up(c)
        harness.log("node 4 joined by rolling restart: keep/6x3 unmoved, 180 records intact; "
                    "its __controller learner follows leader %s, first catalog version %d, "
                    "then %d -> %d; "
                    "fresh/4x2 created through node 4 has replicas there on %r; "
                    "learner killed -9 and restarted, caught up to version %d"
                    % (r4["leader"], first, v, v2, on4, v3))
    except Exception:
        print(c.tail_logs(60), file=sys.stderr)
        raise
    finally:
        c.n = 4
        c.cleanup()


if __name__ == "__main__":
    harness.run(test, "add_node")
