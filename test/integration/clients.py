"""clients.py - produce and consume with real Kafka clients: kcat,
librdkafka (python3-confluent-kafka) and kafka-python (python3-kafka).

Each function is bounded in time and returns what it saw, so tests assert on
content rather than on "it didn't crash"."""
import subprocess
import time

import confluent_kafka
import kafka
from kafka import TopicPartition


def kcat_produce(bootstrap, topic, records, acks, timeout=120):
    """Produces key<TAB>value lines with kcat -P. kcat sets the same headers
    on every message of one invocation, so records must carry only fixed
    headers (records.make(..., seq_header=False)). Returns kcat's stderr."""
    headers = records[0][2] if records else []
    argv = ["kcat", "-P", "-b", bootstrap, "-t", topic, "-K", "\t", "-X", "acks=%d" % acks,
            "-X", "linger.ms=5"]
    for k, v in headers:
        argv += ["-H", "%s=%s" % (k, v.decode())]
    data = "".join("%s\t%s\n" % (k, v) for k, v, _ in records)
    r = subprocess.run(argv, input=data, capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, "kcat -P exited %d: %s" % (r.returncode, r.stderr[-2000:])
    assert "fail" not in r.stderr.lower(), "kcat -P reported: %s" % r.stderr[-2000:]
    return r.stderr


def kcat_consume(bootstrap, topic, expect, timeout=120):
    """Reads the topic from the beginning to its end with kcat -e; returns
    [(partition, offset, key, value, headers)]."""
    fmt = "%p\t%o\t%k\t%s\t%h\n"
    out = subprocess.run(
        ["kcat", "-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e", "-q",
         "-f", fmt, "-X", "fetch.wait.max.ms=100"],
        capture_output=True, text=True, timeout=timeout, check=True).stdout
    recs = []
    for line in out.splitlines():
        p, o, k, v, h = line.split("\t")
        headers = []
        if h:
            for kv in h.split(","):
                hk, hv = kv.split("=", 1)
                headers.append((hk, hv.encode()))
        recs.append((int(p), int(o), k, v, headers))
    assert len(recs) >= expect, "kcat consumed %d records, expected %d" % (len(recs), expect)
    return recs


def rdkafka_produce(bootstrap, topic, records, acks, extra=None, timeout=120, pace=None,
                    progress=None):
    """Produces with librdkafka; returns (delivered, errors). pace=(n, s)
    sleeps s seconds after every n records; progress["sent"] counts them."""
    conf = {"bootstrap.servers": bootstrap, "acks": str(acks), "linger.ms": 5,
            "message.timeout.ms": 60000}
    conf.update(extra or {})
    p = confluent_kafka.Producer(conf)
    delivered = []
    errors = []
    sent = 0

    def cb(err, msg):
        if err is not None:
            errors.append(err)
        else:
            delivered.append((msg.partition(), msg.offset(), msg.value().decode()))

    for key, value, headers in records:
        while True:
            try:
                p.produce(topic, key=key.encode(), value=value.encode(), headers=headers,
                          on_delivery=cb)
                break
            except BufferError:
                p.poll(0.05)
        p.poll(0)
        sent += 1
        if progress is not None:
            progress["sent"] = sent
        if pace and sent % pace[0] == 0:
            time.sleep(pace[1])
    left = p.flush(timeout)
    assert left == 0, "librdkafka: %d messages not delivered within %ds" % (left, timeout)
    return delivered, errors


def rdkafka_consume(bootstrap, topic, partitions, expect, timeout=120):
    """Consumes every partition from the beginning with librdkafka's assign()
    (no group coordination needed)."""
    c = confluent_kafka.Consumer({
        "bootstrap.servers": bootstrap, "group.id": "fjord-it", "enable.auto.commit": False,
        "auto.offset.reset": "earliest", "fetch.wait.max.ms": 100,
        "log_level": 3})
    c.assign([confluent_kafka.TopicPartition(topic, p, confluent_kafka.OFFSET_BEGINNING)
              for p in range(partitions)])
    recs = []
    deadline = time.monotonic() + timeout
    try:
        while len(recs) < expect and time.monotonic() < deadline:
            for m in c.consume(1000, 0.5):
                if m.error():
                    continue
                recs.append((m.partition(), m.offset(), m.key().decode(), m.value().decode(),
                             [(k, v) for k, v in (m.headers() or [])]))
    finally:
        c.close()
    return recs


def kpy_produce(bootstrap, topic, records, acks, timeout=120):
    acks_arg = "all" if acks == -1 else acks
    p = kafka.KafkaProducer(bootstrap_servers=bootstrap, acks=acks_arg, linger_ms=5,
                            request_timeout_ms=30000)
    futures = []
    for key, value, headers in records:
        futures.append(p.send(topic, key=key.encode(), value=value.encode(), headers=headers))
    p.flush(timeout=timeout)
    errors = [f.exception for f in futures if f.failed()]
    p.close(timeout=10)
    return errors


def kpy_consume(bootstrap, topic, partitions, expect, timeout=120):
    c = kafka.KafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                            enable_auto_commit=False, fetch_max_wait_ms=100)
    tps = [TopicPartition(topic, p) for p in range(partitions)]
    c.assign(tps)
    c.seek_to_beginning(*tps)
    recs = []
    deadline = time.monotonic() + timeout
    try:
        while len(recs) < expect and time.monotonic() < deadline:
            for tp, msgs in c.poll(timeout_ms=500, max_records=5000).items():
                for m in msgs:
                    recs.append((tp.partition, m.offset, m.key.decode(), m.value.decode(),
                                 [(k, v) for k, v in m.headers]))
    finally:
        c.close()
    return recs
