#!/usr/bin/python3
"""test_metrics.py - the operations metrics of one node against real clients:
produce N records to one partition with librdkafka and read them back with
kcat, then check that /metrics counts that partition's requests and bytes
consistently (and nothing for the idle one), that the request duration
histogram has whole _bucket/_sum/_count series for Produce and Fetch, that
the storage gauges report the replica's LMDB use, and that every family has
HELP and TYPE lines (and that conf/grafana-fjord.json queries only metrics
that exist). Also the balance endpoint's HTTP contract."""
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import confluent_kafka  # noqa: E402
import harness  # noqa: E402

# 29750..29752: test_cluster.py's admin ports are 29701..29703.
PORT_BASE = int(os.environ.get("FJORD_IT_PORT_BASE", "29750"))
TOPIC = "met"
PARTS = 2
N = 2000
SIZE = 200  # bytes of each value
MAP_BYTES = 256 << 20  # the harness's map_size_mb

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$')


def parse(text):
    """Returns ({(name, labels): value}, {family: type}) and checks the
    exposition: every family has HELP then TYPE, once, before its samples."""
    samples, types, helped = {}, {}, set()
    current = None
    for line in text.splitlines():
        if line.startswith("# HELP "):
            name = line.split()[2]
            assert name not in helped, "HELP for %s twice" % name
            assert len(line.split(None, 3)) == 4, "HELP without text: %r" % line
            helped.add(name)
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split()
            assert name in helped, "TYPE before HELP for %s" % name
            assert name not in types, "TYPE for %s twice" % name
            assert kind in ("counter", "gauge", "histogram"), line
            types[name] = kind
            current = name
            continue
        m = SAMPLE.match(line)
        assert m, "not a sample line: %r" % line
        name, labels, value = m.group(1), m.group(2) or "", m.group(3)
        fam = name
        if types.get(current) == "histogram" and name in (
                current + "_bucket", current + "_sum", current + "_count"):
            fam = current
        assert fam == current, "sample %r outside its family (current %s)" % (line, current)
        samples[(name, labels)] = float(value)
    assert helped == set(types), "HELP without TYPE: %r" % (helped - set(types))
    return samples, types


def part(samples, name, p):
    key = (name, '{topic="%s",partition="%d"}' % (TOPIC, p))
    assert key in samples, "no %s for partition %d" % (name, p)
    return samples[key]


def check_histogram(samples, api):
    name = "fjord_request_duration_seconds"
    les = ["0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25",
           "0.5", "1", "2.5", "5", "10", "+Inf"]
    counts = []
    for le in les:
        key = (name + "_bucket", '{api="%s",le="%s"}' % (api, le))
        assert key in samples, "no bucket le=%s for %s" % (le, api)
        counts.append(samples[key])
    assert counts == sorted(counts), "%s buckets not cumulative: %r" % (api, counts)
    count = samples[(name + "_count", '{api="%s"}' % api)]
    total = samples[(name + "_sum", '{api="%s"}' % api)]
    assert counts[-1] == count, "%s: +Inf bucket %d != count %d" % (api, counts[-1], count)
    assert count > 0 and total > 0, "%s: no observations (count %d, sum %f)" % (api, count, total)
    assert total / count < 10, "%s: mean duration %f s" % (api, total / count)
    return count


def http(node, method, path):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (node.admin_port, path),
                                 method=method, data=b"" if method == "POST" else None)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test():
    node = harness.Node("metrics", PORT_BASE, {TOPIC: PARTS})
    try:
        node.start()
        node.wait_serving(TOPIC, PARTS)
        before, types = parse(node.metrics())
        for fam, kind in [("fjord_produce_requests_total", "counter"),
                          ("fjord_produce_bytes_total", "counter"),
                          ("fjord_fetch_requests_total", "counter"),
                          ("fjord_fetch_bytes_total", "counter"),
                          ("fjord_request_duration_seconds", "histogram"),
                          ("fjord_requests_total", "counter"),
                          ("fjord_connections", "gauge"),
                          ("fjord_connections_total", "counter"),
                          ("fjord_worker_up", "gauge"),
                          ("fjord_worker_restarts_total", "counter"),
                          ("fjord_storage_used_bytes", "gauge"),
                          ("fjord_storage_map_bytes", "gauge")]:
            assert types.get(fam) == kind, "%s: type %r, want %s" % (fam, types.get(fam), kind)
        assert part(before, "fjord_produce_bytes_total", 0) == 0
        used0 = part(before, "fjord_storage_used_bytes", 0)

        p = confluent_kafka.Producer({"bootstrap.servers": node.bootstrap, "acks": "-1",
                                      "linger.ms": 5, "batch.num.messages": 200,
                                      "message.timeout.ms": 30000})
        errors = []

        def on_delivery(err, msg):
            if err is not None:
                errors.append(err)
        value = b"v" * SIZE
        for i in range(N):
            while True:
                try:
                    p.produce(TOPIC, value=value, key=b"k%d" % i, partition=0,
                              on_delivery=on_delivery)
                    break
                except BufferError:
                    p.poll(0.05)
        left = p.flush(60)
        assert left == 0 and not errors, "%d undelivered, errors %r" % (left, errors[:3])

        out = subprocess.run(["kcat", "-C", "-b", node.bootstrap, "-t", TOPIC, "-p", "0",
                              "-o", "beginning", "-e", "-q", "-f", "%o\n",
                              "-X", "fetch.wait.max.ms=100"],
                             capture_output=True, text=True, timeout=60, check=True).stdout
        offsets = [int(x) for x in out.split()]
        assert offsets == list(range(N)), "consumed %d records" % len(offsets)

        # Storage figures come with the once-a-second worker status.
        harness.wait_for("storage use to grow",
                         lambda: part(parse(node.metrics())[0], "fjord_storage_used_bytes", 0)
                         > used0 + N * SIZE, timeout=10)
        s, types = parse(node.metrics())
        preq = part(s, "fjord_produce_requests_total", 0)
        pbytes = part(s, "fjord_produce_bytes_total", 0)
        freq = part(s, "fjord_fetch_requests_total", 0)
        fbytes = part(s, "fjord_fetch_bytes_total", 0)
        harness.log("partition 0: %d produce requests, %d bytes; %d fetch requests, %d bytes"
                    % (preq, pbytes, freq, fbytes))
        assert 0 < preq <= N, "produce requests %d" % preq
        assert pbytes >= N * SIZE, "produce bytes %d < %d" % (pbytes, N * SIZE)
        # Batches are stored and served as produced (same length): reading
        # the partition once from the start returns every produced byte.
        assert freq > 0 and fbytes >= pbytes, "fetch %d requests, %d bytes" % (freq, fbytes)
        for name in ("fjord_produce_requests_total", "fjord_produce_bytes_total",
                     "fjord_fetch_requests_total", "fjord_fetch_bytes_total"):
            assert part(s, name, 1) == 0, "%s counts the idle partition" % name

        produce_count = check_histogram(s, "Produce")
        fetch_count = check_histogram(s, "Fetch")
        # Every Produce here named partition 0 alone and was answered.
        assert produce_count == preq, "Produce histogram %d != requests %d" % (produce_count, preq)
        assert s[("fjord_requests_total", '{api="Produce"}')] >= produce_count
        assert s[("fjord_requests_total", '{api="Fetch"}')] >= fetch_count
        assert s[("fjord_requests_total", '{api="Metadata"}')] > 0

        used = part(s, "fjord_storage_used_bytes", 0)
        assert part(s, "fjord_storage_map_bytes", 0) == MAP_BYTES
        assert N * SIZE < used < MAP_BYTES, "storage used %d" % used
        assert part(s, "fjord_storage_used_bytes", 1) > 0
        assert part(s, "fjord_worker_up", 0) == 1
        assert s[("fjord_connections_total", "")] >= 2
        assert s[("fjord_connections", "")] >= 0

        # Every metric the sample Grafana dashboard queries exists.
        with open(os.path.join(harness.ROOT, "conf", "grafana-fjord.json")) as f:
            dash = json.load(f)
        exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
        used_names = set(re.findall(r"\bfjord_[a-z_]+", " ".join(exprs)))
        assert len(used_names) >= 12, used_names
        for name in sorted(used_names):
            fam = re.sub(r"_bucket$", "", name)
            assert fam in types, "the dashboard queries %s, which /metrics lacks" % name

        # Balance: a single node has nobody to hand leadership to.
        code, body = http(node, "POST", "/v1/leaders/balance")
        assert code == 200 and json.loads(body) == {"requested": 0}, (code, body)
        code, _ = http(node, "GET", "/v1/leaders/balance")
        assert code == 405, "GET /v1/leaders/balance: %d" % code
        code, _ = http(node, "POST", "/metrics")
        assert code == 405, "POST /metrics: %d" % code
        code, _ = http(node, "GET", "/v1/nothing")
        assert code == 404
        harness.log("histograms: %d Produce, %d Fetch; storage %d of %d bytes"
                    % (produce_count, fetch_count, used, MAP_BYTES))
    except Exception:
        print(node.tail(), file=sys.stderr)
        raise
    finally:
        node.cleanup()


if __name__ == "__main__":
    harness.run(test, "metrics")
