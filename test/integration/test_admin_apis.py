#!/usr/bin/python3
"""test_admin_apis.py - the admin APIs that need no controller, on a 3-node
cluster, through kafka-python's KafkaAdminClient and confluent-kafka's
AdminClient:

- DescribeConfigs of a topic (names, values, sources: the defaults, fixed
  cleanup.policy) and of a broker on the cluster; on a single node whose
  file sets [retention] ms and a topic's own retention_ms, the sources
  DYNAMIC_TOPIC_CONFIG and STATIC_BROKER_CONFIG with their synonyms;
- DescribeCluster (cluster id, controller, three brokers);
- DescribeTopicPartitions (KIP-966) through the raw protocol, with a
  partition limit so the cursor pages;
- DeleteRecords: the log start moves on every replica, ListOffsets
  earliest and a consumer from the beginning see the new start, an offset
  beyond the high watermark is OFFSET_OUT_OF_RANGE;
- ElectLeaders (preferred): ELECTION_NOT_NEEDED when settled; after a
  partition's leadership moved off its preferred replica, the election
  brings it back."""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import admin_wire  # noqa: E402
import cluster  # noqa: E402
import harness  # noqa: E402
import wire  # noqa: E402

# Kafka 31501..3, Raft 31511..3, admin 31521..3 (adminapi range 31500+).
KAFKA_BASE = int(os.environ.get("FJORD_IT_PORT_BASE", "31500"))
TOPIC = "adm"
PARTS = 3
N_RECORDS = 30


def confluent_admin(c):
    from confluent_kafka.admin import AdminClient
    return AdminClient({"bootstrap.servers": c.bootstrap})


def kafka_python_admin(c):
    from kafka.admin import KafkaAdminClient
    return KafkaAdminClient(bootstrap_servers=c.bootstrap, request_timeout_ms=10000)


def check_describe_configs(c):
    from confluent_kafka.admin import ConfigResource, ConfigSource
    a = confluent_admin(c)
    res = ConfigResource(ConfigResource.Type.TOPIC, TOPIC)
    fut = a.describe_configs([res], request_timeout=10)[res]
    cfg = fut.result(timeout=15)
    for name in ("cleanup.policy", "retention.ms", "retention.bytes", "max.message.bytes",
                 "message.timestamp.type", "min.insync.replicas", "segment.bytes",
                 "compression.type"):
        assert name in cfg, "topic config %s missing: %s" % (name, sorted(cfg))
    assert cfg["cleanup.policy"].value == "delete", cfg["cleanup.policy"]
    assert cfg["cleanup.policy"].source == ConfigSource.DEFAULT_CONFIG.value
    # tools/cluster writes no [retention] section: the defaults.
    assert cfg["retention.ms"].value == "604800000", cfg["retention.ms"].value
    assert cfg["retention.ms"].source == ConfigSource.DEFAULT_CONFIG.value
    assert cfg["min.insync.replicas"].value == "2", cfg["min.insync.replicas"].value
    assert cfg["message.timestamp.type"].value == "CreateTime"
    syn = cfg["retention.ms"].synonyms
    assert "log.retention.ms" in syn, syn
    harness.log("confluent describe_configs topic: %d configs" % len(cfg))

    broker = ConfigResource(ConfigResource.Type.BROKER, "2")
    bcfg = a.describe_configs([broker], request_timeout=10)[broker].result(timeout=15)
    assert bcfg["broker.id"].value == "2", bcfg["broker.id"]
    assert bcfg["log.retention.ms"].value == "604800000"
    assert bcfg["log.cleanup.policy"].value == "delete"
    assert bcfg["fjord.raft.election_timeout_ms"].value == "1000", \
        bcfg["fjord.raft.election_timeout_ms"].value
    assert bcfg["fjord.raft.election_timeout_ms"].source == \
        ConfigSource.STATIC_BROKER_CONFIG.value
    harness.log("confluent describe_configs broker 2: %d configs" % len(bcfg))

    # An unknown topic fails alone.
    bad = ConfigResource(ConfigResource.Type.TOPIC, "nope")
    try:
        a.describe_configs([bad], request_timeout=10)[bad].result(timeout=15)
        raise AssertionError("describe_configs of an unknown topic succeeded")
    except Exception as e:  # noqa: BLE001
        assert "UNKNOWN_TOPIC_OR_PART" in str(e) or "nknown topic" in str(e), e

    # kafka-python, v0-era API with the same values.
    from kafka.admin import ConfigResource as KCR, ConfigResourceType
    ka = kafka_python_admin(c)
    try:
        resp = ka.describe_configs([KCR(ConfigResourceType.TOPIC, TOPIC)])
        r = resp[0] if isinstance(resp, list) else resp
        res0 = r.resources[0]
        assert res0[0] == 0, "error %r" % (res0,)
        entries = {e[0]: e[1] for e in res0[4]}
        assert entries["cleanup.policy"] == "delete", entries
        assert entries["retention.ms"] == "604800000", entries
        harness.log("kafka-python describe_configs: %d configs (v%d)"
                    % (len(entries), r.API_VERSION))
    finally:
        ka.close()


def check_describe_cluster(c):
    for node in (1, 3):
        conn = wire.Conn(KAFKA_BASE + node)
        try:
            for version in (0, 1):
                d = admin_wire.describe_cluster(conn, version)
                assert d["error"] == 0, d
                ids = sorted(b["id"] for b in d["brokers"])
                assert ids == [1, 2, 3], d
                assert d["controller_id"] == 1, d
                assert d["cluster_id"], d
                for b in d["brokers"]:
                    assert b["host"] == "127.0.0.1" and b["port"] == KAFKA_BASE + b["id"], b
                    assert b["rack"] is None, b
        finally:
            conn.close()
    harness.log("describe_cluster v0/v1: id %s, controller %d, nodes %s"
                % (d["cluster_id"], d["controller_id"], ids))


def check_describe_topic_partitions(c):
    conn = wire.Conn(KAFKA_BASE + 2)
    try:
        topics, nxt = admin_wire.describe_topic_partitions(conn, [TOPIC, "nope"], 2)
        assert [t["name"] for t in topics] == [TOPIC], topics
        parts = topics[0]["partitions"]
        assert [p["partition"] for p in parts] == [0, 1], parts
        assert nxt == (TOPIC, 2), nxt
        topics2, nxt2 = admin_wire.describe_topic_partitions(conn, [TOPIC, "nope"], 2, nxt)
        assert [t["name"] for t in topics2] == [TOPIC, "nope"], topics2
        assert [p["partition"] for p in topics2[0]["partitions"]] == [2]
        assert topics2[1]["error"] == 3, topics2[1]  # UNKNOWN_TOPIC_OR_PARTITION
        assert nxt2 is None, nxt2
        for p in parts + topics2[0]["partitions"]:
            assert p["error"] == 0 and p["leader"] in (1, 2, 3), p
            assert sorted(p["replicas"]) == [1, 2, 3], p
            assert p["leader"] in p["isr"], p
            assert p["elr"] == [] and p["offline"] == [], p
        assert topics[0]["id"] != bytes(16)
    finally:
        conn.close()
    harness.log("describe_topic_partitions: pages of 2 + 1 partitions, cursor %r" % (nxt,))


def leader_of(c, part):
    for i in (1, 2, 3):
        for r in c.status(i)["replicas"]:
            if r["topic"] == TOPIC and r["partition"] == part and r["role"] == "leader":
                return i
    return None


def produce_batches(c, part, n):
    """n records to one partition, one batch each (flushed one at a time)."""
    from confluent_kafka import Producer
    p = Producer({"bootstrap.servers": c.bootstrap, "acks": "all", "linger.ms": 0})
    for i in range(n):
        p.produce(TOPIC, value=b"r%03d" % i, partition=part)
        assert p.flush(10) == 0
    harness.log("produced %d batches to %s/%d" % (n, TOPIC, part))


def consume_from_beginning(c, part, want):
    from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING
    cons = Consumer({"bootstrap.servers": c.bootstrap, "group.id": "adm-none",
                     "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    try:
        cons.assign([TopicPartition(TOPIC, part, OFFSET_BEGINNING)])
        got = []
        deadline = time.monotonic() + 20
        while len(got) < want and time.monotonic() < deadline:
            m = cons.poll(0.5)
            if m is not None and not m.error():
                got.append((m.offset(), m.value()))
        return got
    finally:
        cons.close()


def check_delete_records(c):
    part = 0
    produce_batches(c, part, N_RECORDS)
    leader = leader_of(c, part)
    follower = next(i for i in (1, 2, 3) if i != leader)
    conn = wire.Conn(KAFKA_BASE + leader)
    fconn = wire.Conn(KAFKA_BASE + follower)
    try:
        # Not the leader: retriable, the client goes to the leader.
        assert admin_wire.delete_records(fconn, TOPIC, {part: 5}) == {part: (6, -1)}
        # Beyond the high watermark.
        assert admin_wire.delete_records(conn, TOPIC, {part: N_RECORDS + 1}) == {part: (1, -1)}
        t0 = time.monotonic()
        assert admin_wire.delete_records(conn, TOPIC, {part: 15}) == {part: (0, 15)}
        harness.log("delete_records to 15 answered in %.0f ms" % ((time.monotonic() - t0) * 1e3))
        # Lower than the start: nothing to do, the start answers.
        assert admin_wire.delete_records(conn, TOPIC, {part: 3}) == {part: (0, 15)}
        # ListOffsets earliest follows, on the leader.
        lo = wire.list_offsets(conn, TOPIC, part, -2)
        assert lo == [(TOPIC, part, 0, 15)], lo
    finally:
        conn.close()
        fconn.close()

    # Every replica applies it: its log start is 15.
    def everywhere():
        reps = c.replicas()[(TOPIC, part)]
        return len(reps) == 3 and all(r["log_start_offset"] == 15 for r in reps.values()) \
            and reps
    harness.wait_for("every replica's log start at 15", everywhere, 15, 0.2)

    got = consume_from_beginning(c, part, N_RECORDS - 15)
    assert [o for o, _ in got] == list(range(15, N_RECORDS)), got
    assert got[0][1] == b"r015", got[0]
    harness.log("consumer from the beginning starts at %d: %d records" % (got[0][0], len(got)))

    # Fetch below the start is out of range: a consumer at offset 3 is reset.
    conn = wire.Conn(KAFKA_BASE + leader)
    try:
        assert admin_wire.delete_records(conn, TOPIC, {part: -1}) == {part: (0, N_RECORDS)}
    finally:
        conn.close()
    harness.wait_for("every replica's log start at the high watermark",
                     lambda: all(r["log_start_offset"] == N_RECORDS
                                 for r in c.replicas()[(TOPIC, part)].values()), 15, 0.2)


def check_elect_leaders(c):
    conn = wire.Conn(KAFKA_BASE + 1)
    try:
        top, res = admin_wire.elect_leaders(conn, {TOPIC: [0, 1, 2], "nope": [0]})
        assert top == 0, top
        for p in range(PARTS):
            assert res[(TOPIC, p)][0] == 84, res  # ELECTION_NOT_NEEDED
        assert res[("nope", 0)][0] == 3, res
        top, res = admin_wire.elect_leaders(conn, None)
        assert res == {}, res  # nothing needed an election
        top, res = admin_wire.elect_leaders(conn, {TOPIC: [0]}, election_type=1)
        assert res[(TOPIC, 0)][0] == 42 and "unclean" in res[(TOPIC, 0)][1], res

        # Move a partition off its preferred node: freeze its leader until
        # another node leads, then let it go. The workers' own balance
        # waits 10 s of health before handing back; ElectLeaders does not.
        # Asked first of a node that neither leads nor is preferred (it
        # sends PEER_ELECT to the leader's node), then of the leader's node
        # itself (IPC_TRANSFER to its own worker).
        part = 1
        pref = leader_of(c, part)
        for via in ("third", "leader"):
            other = move_leadership(c, part, pref)
            asked = other if via == "leader" else next(i for i in (1, 2, 3)
                                                      if i not in (pref, other))
            aconn = wire.Conn(KAFKA_BASE + asked)
            try:
                t0 = time.monotonic()
                top, res = admin_wire.elect_leaders(aconn, {TOPIC: [part]})
                took = time.monotonic() - t0
            finally:
                aconn.close()
            assert top == 0 and res[(TOPIC, part)][0] == 0, res
            # Answered once the router saw the preferred replica lead.
            assert leader_of(c, part) == pref or harness.wait_for(
                "node %d to lead" % pref, lambda: leader_of(c, part) == pref, 5, 0.1)
            harness.log("elect_leaders via node %d (%s) moved %s/%d from node %d back to "
                        "node %d in %.0f ms" % (asked, via, TOPIC, part, other, pref,
                                                took * 1e3))
    finally:
        conn.close()


def move_leadership(c, part, pref):
    """Freezes pref's worker of part until another node leads, lets it go
    and waits until it follows again; returns the new leader's node."""
    frozen = c.worker_pid(pref, TOPIC, part)
    os.kill(frozen, signal.SIGSTOP)
    try:
        other = harness.wait_for("another node to lead %s/%d" % (TOPIC, part),
                                 lambda: leader_of_other(c, part, pref), 20, 0.1)
    finally:
        os.kill(frozen, signal.SIGCONT)

    def follows():
        r = c.replicas()[(TOPIC, part)].get(pref)
        return r is not None and r["role"] == "follower" and r
    harness.wait_for("node %d to follow again" % pref, follows, 15, 0.1)
    return other


def leader_of_other(c, part, not_node):
    for i in (1, 2, 3):
        if i == not_node:
            continue
        for r in c.status(i)["replicas"]:
            if r["topic"] == TOPIC and r["partition"] == part and r["role"] == "leader":
                return i
    return None


def sources_test():
    """One node whose file sets [retention] ms and topic `own`'s retention_ms
    and message_timestamp_type: DescribeConfigs names each value's source."""
    from confluent_kafka.admin import ConfigResource, ConfigSource
    node = harness.Node("admin-sources", KAFKA_BASE + 50, {"plain": 1},
                        extra="[retention]\nms = 3600000\n\n[topic.own]\npartitions = 1\n"
                              "retention_ms = 60000\nmessage_timestamp_type = LogAppendTime\n")
    try:
        node.start()
        node.wait_serving("own", 1)
        from confluent_kafka.admin import AdminClient
        a = AdminClient({"bootstrap.servers": node.bootstrap})
        own = ConfigResource(ConfigResource.Type.TOPIC, "own")
        plain = ConfigResource(ConfigResource.Type.TOPIC, "plain")
        futs = a.describe_configs([own, plain], request_timeout=10)
        o, p = futs[own].result(timeout=15), futs[plain].result(timeout=15)
        r = o["retention.ms"]
        assert r.value == "60000" and r.source == ConfigSource.DYNAMIC_TOPIC_CONFIG.value, r
        syn = {(n, e.source): e.value for n, e in r.synonyms.items()}
        assert list(r.synonyms) == ["retention.ms", "log.retention.ms"], list(r.synonyms)
        ts = o["message.timestamp.type"]
        assert ts.value == "LogAppendTime", ts
        assert ts.source == ConfigSource.DYNAMIC_TOPIC_CONFIG.value, ts
        assert o["retention.bytes"].source == ConfigSource.DEFAULT_CONFIG.value
        q = p["retention.ms"]
        assert q.value == "3600000" and q.source == ConfigSource.STATIC_BROKER_CONFIG.value, q
        assert p["message.timestamp.type"].value == "CreateTime"
        harness.log("sources: own retention.ms=%s (%s), plain retention.ms=%s (%s), synonyms %s"
                    % (r.value, ConfigSource(r.source).name, q.value,
                       ConfigSource(q.source).name, syn))
    except Exception:
        print(node.tail(), file=sys.stderr)
        raise
    finally:
        node.stop()
        node.cleanup()


def main_test():
    c = cluster.Cluster("admin", 3, KAFKA_BASE, KAFKA_BASE + 10, KAFKA_BASE + 20,
                        [(TOPIC, PARTS, 3)], extra_args=["--election-timeout-ms", "1000"])
    try:
        c.start()
        c.wait_single_leaders()
        check_describe_configs(c)
        check_describe_cluster(c)
        check_describe_topic_partitions(c)
        check_delete_records(c)
        check_elect_leaders(c)
    except Exception:
        print(c.tail_logs(), file=sys.stderr)
        raise
    finally:
        c.cleanup()


def test():
    sources_test()
    main_test()


if __name__ == "__main__":
    harness.run(test, "admin_apis")
