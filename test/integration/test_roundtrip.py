#!/usr/bin/python3
"""test_roundtrip.py - 10,000 keyed records with headers per client and acks
level to a 4-partition topic, consumed back with exact content and
per-partition order: kcat (librdkafka), python3-confluent-kafka (librdkafka)
and python3-kafka (kafka-python), for acks 0, 1 and -1."""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import clients  # noqa: E402
import harness  # noqa: E402
import records  # noqa: E402

PORT_BASE = int(os.environ.get("FJORD_IT_PORT_BASE", "29100"))
N = int(os.environ.get("FJORD_IT_RECORDS", "10000"))
PARTS = 4


def test():
    node = harness.Node("roundtrip", PORT_BASE,
                        {"rt_kcat": PARTS, "rt_rdkafka": PARTS, "rt_kpy": PARTS})
    try:
        node.start()
        for t in ("rt_kcat", "rt_rdkafka", "rt_kpy"):
            node.wait_serving(t, PARTS)

        runs = {}
        for acks in (0, 1, -1):
            run = "kcat%d" % (acks & 3)
            runs[run] = records.make(run, N, seq_header=False)
            clients.kcat_produce(node.bootstrap, "rt_kcat", runs[run], acks)
        got = clients.kcat_consume(node.bootstrap, "rt_kcat", 3 * N)
        harness.log("kcat: %d records checked" % records.check(got, runs))

        runs = {}
        for acks in (0, 1, -1):
            run = "rdk%d" % (acks & 3)
            runs[run] = records.make(run, N)
            delivered, errors = clients.rdkafka_produce(node.bootstrap, "rt_rdkafka", runs[run], acks)
            assert not errors, "librdkafka acks=%d delivery errors: %r" % (acks, errors[:3])
            assert len(delivered) == N, "librdkafka acks=%d: %d delivered" % (acks, len(delivered))
            if acks != 0:
                # Reported offsets are the stored ones: unique per partition.
                assert len({(p, o) for p, o, _ in delivered}) == N
        got = clients.kcat_consume(node.bootstrap, "rt_rdkafka", 3 * N)
        harness.log("librdkafka -> kcat: %d records checked" % records.check(got, runs))
        got = clients.rdkafka_consume(node.bootstrap, "rt_rdkafka", PARTS, 3 * N)
        harness.log("librdkafka -> librdkafka: %d records checked" % records.check(got, runs))

        runs = {}
        for acks in (0, 1, -1):
            run = "kpy%d" % (acks & 3)
            runs[run] = records.make(run, N)
            errors = clients.kpy_produce(node.bootstrap, "rt_kpy", runs[run], acks)
            assert not errors, "kafka-python acks=%d errors: %r" % (acks, errors[:3])
        got = clients.kpy_consume(node.bootstrap, "rt_kpy", PARTS, 3 * N)
        harness.log("kafka-python -> kafka-python: %d records checked" % records.check(got, runs))
        got = clients.kcat_consume(node.bootstrap, "rt_kpy", 3 * N)
        harness.log("kafka-python -> kcat: %d records checked" % records.check(got, runs))
    except Exception:
        print(node.tail(), file=sys.stderr)
        raise
    finally:
        node.cleanup()


if __name__ == "__main__":
    harness.run(test, "roundtrip")
