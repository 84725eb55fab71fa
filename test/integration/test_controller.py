#!/usr/bin/python3
"""test_controller.py - topics as a cluster-wide fact (issue 10) on 3 nodes:
the INI topics are adopted with the placement they had; kafka-python's
admin client creates a topic of 6 partitions x 3 replicas, describes it and
its configs, raises it to 8 partitions, alters its retention, the topic
takes records and serves them, and is deleted; after each step every
node's Metadata agrees and the workers appear and disappear on the right
nodes (their data directories too). confluent-kafka's admin client and kcat
do a round trip; a producer auto-creates a topic; bad CreateTopics input
gets the right error per topic and creates nothing; the controller
leader's worker is killed with -9 during a burst of CreateTopics and every
topic acknowledged exists afterwards on every node with its assignment
unchanged; an INI edit and SIGHUP on one node adds a topic and grows
another on all nodes."""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import clients  # noqa: E402,F401
import cluster  # noqa: E402
import harness  # noqa: E402

BASE = int(os.environ.get("FJORD_IT_PORT_BASE", "31000"))
N = 3


def metadata(c, i, topics=None):
    """{topic: {partition: (leader, [replicas])}} as node i answers (kafka-python,
    bootstrapped on node i only)."""
    from kafka import KafkaAdminClient
    a = KafkaAdminClient(bootstrap_servers="127.0.0.1:%d" % (c.kafka_base + i),
                         request_timeout_ms=10000)
    try:
        out = {}
        for t in a.describe_topics(topics) if topics else a.describe_topics():
            if t["error_code"] != 0:
                continue
            out[t["topic"]] = {p["partition"]: (p["leader"], list(p["replicas"]))
                               for p in t["partitions"]}
        return out
    finally:
        a.close()


def placements(c, topic):
    """The replica lists of topic per node's Metadata: {node: {p: replicas}}."""
    out = {}
    for i in range(1, N + 1):
        md = metadata(c, i, [topic]).get(topic)
        out[i] = None if md is None else {p: r for p, (_, r) in md.items()}
    return out


def wait_agreed(c, topic, partitions, timeout=30):
    """Every node lists topic with `partitions` partitions, the same replicas,
    and a leader for each; returns the replica lists."""
    def ok():
        per = {}
        for i in range(1, N + 1):
            md = metadata(c, i, [topic]).get(topic)
            if md is None or len(md) != partitions or any(l < 0 for l, _ in md.values()):
                return None
            per[i] = {p: r for p, (_, r) in md.items()}
        return per[1] if per[1] == per[2] == per[3] else None
    return harness.wait_for("every node to agree on %s/%d" % (topic, partitions), ok, timeout, 0.3)


def wait_gone(c, topic, timeout=30):
    harness.wait_for("every node to forget %s" % topic,
                     lambda: all(topic not in metadata(c, i, [topic]) for i in range(1, N + 1)),
                     timeout, 0.3)


def local_replicas(c, i, topic):
    """Partitions of topic with a serving worker on node i (its /v1/status)."""
    st = c.status(i)
    return sorted(int(r["partition"]) for r in st.get("replicas", [])
                  if r["topic"] == topic and r.get("serving"))


def wait_workers(c, topic, reps, timeout=30):
    """Each node serves exactly the partitions whose replicas include it."""
    want = {i: sorted(p for p, r in reps.items() if i in r) for i in range(1, N + 1)}
    harness.wait_for("workers of %s on the right nodes" % topic,
                     lambda: all(local_replicas(c, i, topic) == want[i] for i in range(1, N + 1)),
                     timeout, 0.3)
    return want


def data_dirs(c, i, topic):
    d = os.path.join(c.dir, "node%d" % i, "data")
    try:
        return sorted(n for n in os.listdir(d) if n.rsplit("-", 1)[0] == topic)
    except OSError:
        return []


def produce_consume(c, topic, partitions, n=50):
    import confluent_kafka
    p = confluent_kafka.Producer({"bootstrap.servers": c.bootstrap, "acks": "all"})
    errors = []
    for part in range(partitions):
        for k in range(n):
            p.produce(topic, value=b"%d-%d" % (part, k), partition=part,
                      on_delivery=lambda err, m: err and errors.append(err))
    assert p.flush(30) == 0 and not errors, errors[:3]
    got = clients.kcat_consume(c.bootstrap, topic, partitions * n)
    for part in range(partitions):
        vals = [r[3] for r in got if r[0] == part]
        assert vals == ["%d-%d" % (part, k) for k in range(n)], (part, vals[:3])


def admin_round_trip(c):
    from kafka import KafkaAdminClient
    from kafka.admin import NewTopic, NewPartitions, ConfigResource, ConfigResourceType
    a = KafkaAdminClient(bootstrap_servers="127.0.0.1:%d" % (c.kafka_base + 2),
                         request_timeout_ms=20000)
    r = a.create_topics([NewTopic("adm", 6, 3)])
    assert [(t[0], t[1]) for t in r.topic_errors] == [("adm", 0)], r
    reps = wait_agreed(c, "adm", 6)
    assert all(sorted(r) == [1, 2, 3] for r in reps.values()), reps
    leaders = sorted(r[0] for r in reps.values())
    # Balanced with what the nodes already lead (ini's two partitions).
    total = {i: leaders.count(i) for i in range(1, N + 1)}
    for r in wait_agreed(c, "ini", 2).values():
        total[r[0]] += 1
    assert max(total.values()) - min(total.values()) <= 1, "unbalanced: %r" % total
    wait_workers(c, "adm", reps)
    harness.log("created adm 6x3 through node 2: preferred leaders %r, 6 workers per node" % leaders)

    res = a.describe_configs([ConfigResource(ConfigResourceType.TOPIC, "adm")])
    cfg = {e[0]: e[1] for e in res[0].resources[0][4]}
    assert cfg.get("cleanup.policy") == "delete", cfg

    r = a.create_partitions({"adm": NewPartitions(8)})
    assert r.topic_errors[0][1] == 0, r
    reps8 = wait_agreed(c, "adm", 8)
    assert all(reps8[p] == reps[p] for p in range(6)), "old partitions moved"
    wait_workers(c, "adm", reps8)
    harness.log("adm raised to 8 partitions: old placement kept, new workers on every node")

    r = a.alter_configs([ConfigResource(ConfigResourceType.TOPIC, "adm",
                                        configs={"retention.ms": "3600000"})])
    assert r.resources[0][0] == 0, r

    def retention():
        for i in range(1, N + 1):
            b = KafkaAdminClient(bootstrap_servers="127.0.0.1:%d" % (c.kafka_base + i))
            try:
                res = b.describe_configs([ConfigResource(ConfigResourceType.TOPIC, "adm")])
                cfg = {e[0]: e[1] for e in res[0].resources[0][4]}
            finally:
                b.close()
            if cfg.get("retention.ms") != "3600000":
                return False
        return True
    harness.wait_for("retention.ms on every node", retention, 20, 0.3)
    wait_workers(c, "adm", reps8)
    produce_consume(c, "adm", 8)
    harness.log("retention.ms altered (every node describes it); 400 records through 8 partitions")

    assert all(len(data_dirs(c, i, "adm")) == 8 for i in range(1, N + 1))
    a.delete_topics(["adm"])
    wait_gone(c, "adm")
    harness.wait_for("adm's workers and data to go",
                     lambda: all(local_replicas(c, i, "adm") == [] and data_dirs(c, i, "adm") == []
                                 for i in range(1, N + 1)), 20, 0.3)
    harness.log("adm deleted: gone from every node's Metadata, workers and data directories")

    # Re-created under the same name: a new topic id, and empty.
    a.create_topics([NewTopic("adm", 2, 3)])
    wait_agreed(c, "adm", 2)
    got = clients.kcat_consume(c.bootstrap, "adm", 0)
    assert got == [], got[:3]
    harness.log("adm created again: empty")
    a.delete_topics(["adm"])
    wait_gone(c, "adm")
    a.close()


def confluent_round_trip(c):
    from confluent_kafka.admin import AdminClient, NewTopic, NewPartitions
    a = AdminClient({"bootstrap.servers": c.bootstrap})
    fs = a.create_topics([NewTopic("ck", 3, 2)], request_timeout=20)
    fs["ck"].result(20)
    reps = wait_agreed(c, "ck", 3)
    assert all(len(r) == 2 for r in reps.values())
    wait_workers(c, "ck", reps)
    a.create_partitions([NewPartitions("ck", 4)])["ck"].result(20)
    reps = wait_agreed(c, "ck", 4)
    wait_workers(c, "ck", reps)
    produce_consume(c, "ck", 4, 20)
    md = a.list_topics(timeout=10)
    assert "ck" in md.topics and len(md.topics["ck"].partitions) == 4
    a.delete_topics(["ck"])["ck"].result(20)
    wait_gone(c, "ck")
    harness.log("confluent-kafka admin: created ck 3x2, raised to 4, 80 records via kcat, deleted")


def auto_create(c):
    import confluent_kafka
    p = confluent_kafka.Producer({"bootstrap.servers": c.bootstrap, "acks": "all"})
    errors = []
    for k in range(10):
        p.produce("auto-t", value=b"a%d" % k, on_delivery=lambda e, m: e and errors.append(e))
    assert p.flush(30) == 0 and not errors, errors[:3]
    reps = wait_agreed(c, "auto-t", 1)
    got = clients.kcat_consume(c.bootstrap, "auto-t", 10)
    assert [r[3] for r in got] == ["a%d" % k for k in range(10)], got[:3]
    harness.log("a producer auto-created auto-t (%d partition) and wrote 10 records" % len(reps))


def bad_input(c):
    from kafka import KafkaAdminClient
    from kafka.admin import NewTopic
    from kafka.errors import KafkaError
    a = KafkaAdminClient(bootstrap_servers=c.bootstrap, request_timeout_ms=20000)
    topics = [NewTopic("b0", 0, 1), NewTopic("b1", 100000, 1), NewTopic("b2", 1, 0),
              NewTopic("b3", 1, 4), NewTopic("x" * 250, 1, 1), NewTopic("..", 1, 1),
              NewTopic("b4", 1, 1, topic_configs={"no.such.config": "1"}),
              NewTopic("b5", 1, 1, topic_configs={"cleanup.policy": "compact"})]
    want = {"b0": 37, "b1": 37, "b2": 38, "b3": 38, "x" * 250: 17, "..": 17, "b4": 40, "b5": 44}
    try:
        r = a.create_topics(topics)
        errs = {t[0]: t[1] for t in r.topic_errors}
    except KafkaError as e:
        # kafka-python raises on the first error but its message holds all.
        errs = {}
        text = str(e)
        for name, code in want.items():
            errs[name] = code if ("topic='%s', error_code=%d" % (name, code)) in text else None
    assert errs == want, errs
    md = metadata(c, 1)
    assert not any(t in md for t in want), sorted(md)
    a.close()
    harness.log("bad CreateTopics: errors %s, nothing created, node serving" % sorted(set(want.values())))


def controller_leader(c):
    reps = c.replicas(internal=True)
    for node, r in reps.get(("__controller", 0), {}).items():
        if r.get("role") == "leader":
            return node
    return None


def kill_controller_during_burst(c):
    from kafka import KafkaAdminClient
    from kafka.admin import NewTopic
    leader = harness.wait_for("a controller leader", lambda: controller_leader(c), 20, 0.2)
    pid = c.worker_pid(leader, "__controller", 0)
    acked = []
    a = KafkaAdminClient(bootstrap_servers="127.0.0.1:%d" % (c.kafka_base + (leader % N) + 1),
                         request_timeout_ms=30000)
    for k in range(12):
        if k == 4:
            os.kill(pid, signal.SIGKILL)
        try:
            r = a.create_topics([NewTopic("burst%d" % k, 2, 3)])
            if r.topic_errors[0][1] == 0:
                acked.append("burst%d" % k)
        except Exception as e:  # noqa: BLE001 - an unacknowledged create may or may not exist
            harness.log("create burst%d: %s" % (k, e))
    assert len(acked) >= 10, acked
    first = {t: wait_agreed(c, t, 2) for t in acked}
    time.sleep(2)
    for t in acked:
        assert wait_agreed(c, t, 2) == first[t], t
    a.close()
    harness.log("killed the controller leader's worker (node %d) mid-burst: %d/12 creates "
                "acknowledged, all on every node with their assignment" % (leader, len(acked)))

    # Then the whole node of the (new) controller leader.
    leader = harness.wait_for("a controller leader", lambda: controller_leader(c), 20, 0.2)
    other = (leader % N) + 1
    # librdkafka's admin client: kafka-python's keeps asking the controller
    # it first found, dead here, until its request timeout, every time.
    # A new client per request: librdkafka too waits for the controller it
    # knows (dead here) instead of asking Metadata again.
    from confluent_kafka.admin import AdminClient, NewTopic as CkNewTopic
    bootstrap = ",".join("127.0.0.1:%d" % (c.kafka_base + i) for i in range(1, N + 1)
                         if i != leader)
    acked2 = []
    for k in range(12):
        if k == 4:
            sup = c.supervisor_pid(leader)
            kids = harness.child_pids(sup)
            os.kill(sup, signal.SIGKILL)
            for w in kids:
                try:
                    os.kill(w, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        name = "nodeburst%d" % k
        a = AdminClient({"bootstrap.servers": bootstrap})
        try:
            a.create_topics([CkNewTopic(name, 2, 3)], request_timeout=20)[name].result(30)
            acked2.append(name)
        except Exception as e:  # noqa: BLE001
            harness.log("create %s: %s" % (name, e))
    assert len(acked2) >= 10, acked2
    seen = {t: {p: r for p, (_, r) in metadata(c, other, [t])[t].items()} for t in acked2}
    c.start(wait=60)
    c.remember_pids()
    for t in acked2 + acked:
        got = wait_agreed(c, t, 2, timeout=60)
        assert got == (seen[t] if t in seen else first[t]), t
    harness.log("killed node %d (the controller leader) mid-burst: %d/12 creates acknowledged; "
                "after its restart all %d topics are on every node with their assignment"
                % (leader, len(acked2), len(acked) + len(acked2)))


def ini_scale_out(c):
    ini = os.path.join(c.dir, "node2", "fjord.ini")
    text = open(ini).read()
    assert "[topic.ini]" in text, text
    text = text.replace("[topic.ini]\npartitions = 2", "[topic.ini]\npartitions = 4")
    text += "\n[topic.ini-new]\npartitions = 3\nreplication = 3\n"
    with open(ini, "w") as f:
        f.write(text)
    os.kill(c.supervisor_pid(2), signal.SIGHUP)
    reps = wait_agreed(c, "ini", 4)
    wait_workers(c, "ini", reps)
    new = wait_agreed(c, "ini-new", 3)
    wait_workers(c, "ini-new", new)
    produce_consume(c, "ini", 4, 10)
    harness.log("INI edit + SIGHUP on node 2: ini 2 -> 4 partitions and ini-new/3 on every node")


def test():
    c = cluster.Cluster("controller", N, BASE, BASE + 100, BASE + 200, [("ini", 2, 3)])
    try:
        c.start()
        # The INI topic was adopted with the [cluster] rule's placement.
        reps = wait_agreed(c, "ini", 2)
        wait_workers(c, "ini", reps)
        harness.log("ini adopted: replicas %r" % reps)
        admin_round_trip(c)
        confluent_round_trip(c)
        auto_create(c)
        bad_input(c)
        kill_controller_during_burst(c)
        ini_scale_out(c)
    except Exception:
        print(c.tail_logs(60), file=sys.stderr)
        raise
    finally:
        c.cleanup()


if __name__ == "__main__":
    harness.run(test, "controller")
