"""cluster.py - a 3-node fjord cluster for integration tests, run through
tools/cluster with this test's own port bases and data folder.

Reads each node's /v1/status and /metrics; every wait is bounded; stop()
stops every supervisor by pid (tools/cluster stop) and then SIGKILLs any
process of ours still alive."""
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request

import harness

TOOL = os.path.join(harness.ROOT, "tools", "cluster")


class Cluster:
    def __init__(self, name, n, kafka_base, raft_base, admin_base, topics, extra_args=()):
        self.n = n
        self.kafka_base = kafka_base
        self.raft_base = raft_base
        self.admin_base = admin_base
        self.topics = topics  # list of (name, partitions, replication)
        self.dir = tempfile.mkdtemp(prefix="fjord-it-%s-" % name)
        self.extra_args = list(extra_args)
        self.known_pids = set()

    def args(self, cmd):
        a = [TOOL, cmd, str(self.n), "--kafka-base", str(self.kafka_base),
             "--raft-base", str(self.raft_base), "--admin-base", str(self.admin_base),
             "--data", self.dir, "--bin", harness.BIN] + self.extra_args
        for t in self.topics:
            a += ["--topic", "%s:%d:%d" % t]
        return a

    @property
    def bootstrap(self):
        return ",".join("127.0.0.1:%d" % (self.kafka_base + i) for i in range(1, self.n + 1))

    def start(self, wait=60):
        r = subprocess.run(self.args("start") + ["--wait", str(wait)], capture_output=True,
                           text=True, timeout=wait + 30)
        self.remember_pids()
        assert r.returncode == 0, "tools/cluster start failed:\n%s%s\n%s" % (
            r.stdout, r.stderr, self.tail_logs())
        return r.stdout

    def stop(self):
        try:
            subprocess.run(self.args("stop"), capture_output=True, timeout=60)
        except subprocess.TimeoutExpired:
            pass
        for pid in self.known_pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def cleanup(self):
        self.stop()
        if os.environ.get("FJORD_KEEP_DATA"):
            harness.log("kept %s" % self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def supervisor_pid(self, i):
        try:
            with open(os.path.join(self.dir, "node%d" % i, "supervisor.pid")) as f:
                pid = int(f.read())
        except (OSError, ValueError):
            return None
        return pid if harness.alive(pid) else None

    def remember_pids(self):
        for i in range(1, self.n + 1):
            sup = self.supervisor_pid(i)
            if sup:
                self.known_pids.add(sup)
                self.known_pids.update(harness.child_pids(sup))

    def worker_pid(self, i, topic, partition):
        sup = self.supervisor_pid(i)
        pid = harness.worker_pid(sup, topic, partition) if sup else None
        if pid:
            self.known_pids.add(pid)
        return pid

    def tail_logs(self, n=40):
        out = []
        for i in range(1, self.n + 1):
            p = os.path.join(self.dir, "node%d" % i, "node.log")
            try:
                with open(p, "rb") as f:
                    lines = f.read().splitlines()[-n:]
                out.append("--- node %d ---\n%s" % (i, b"\n".join(lines).decode(errors="replace")))
            except OSError:
                pass
        return "\n".join(out)

    def status(self, i):
        url = "http://127.0.0.1:%d/v1/status" % (self.admin_base + i)
        with urllib.request.urlopen(url, timeout=2) as r:
            return json.loads(r.read())

    def metrics(self, i):
        url = "http://127.0.0.1:%d/metrics" % (self.admin_base + i)
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.read().decode()

    def replicas(self, nodes=None, internal=False):
        """{(topic, partition): {node: replica dict}} over the answering nodes;
        internal topics (__consumer_offsets, __controller) only when asked for."""
        out = {}
        for i in nodes or range(1, self.n + 1):
            try:
                st = self.status(i)
            except OSError:
                continue
            for r in st.get("replicas", []):
                if r["topic"].startswith("__") and not internal:
                    continue
                out.setdefault((r["topic"], int(r["partition"])), {})[i] = r
        return out

    def leaders(self, nodes=None, internal=False):
        """{(topic, partition): [nodes whose replica says it is leader]}."""
        out = {}
        for key, reps in self.replicas(nodes, internal).items():
            out[key] = sorted(i for i, r in reps.items() if r.get("role") == "leader")
        return out

    def metric_sum(self, name, nodes=None, internal=False):
        """Sum and max of a metric over every series on the answering nodes;
        series of internal topics (__consumer_offsets) only when asked for."""
        total, top = 0.0, 0.0
        pat = re.compile(r"^%s(\{[^}]*\})?\s+([0-9.eE+-]+)$" % re.escape(name))
        for i in nodes or range(1, self.n + 1):
            try:
                text = self.metrics(i)
            except OSError:
                continue
            for line in text.splitlines():
                m = pat.match(line)
                if m and (internal or 'topic="__' not in (m.group(1) or "")):
                    v = float(m.group(2))
                    total += v
                    top = max(top, v)
        return total, top

    def wait_single_leaders(self, timeout=30, nodes=None):
        want = {(t, p) for t, parts, _ in self.topics for p in range(parts)}

        def ok():
            ls = self.leaders(nodes)
            return all(len(ls.get(k, [])) == 1 for k in want) and ls
        return harness.wait_for("one leader per partition", ok, timeout, 0.2)

    def wait_replicas_equal(self, timeout=60, nodes=None):
        """Waits until every replica of every partition reports the same
        commit_offset and log_checksum; returns the replicas table."""
        def ok():
            reps = self.replicas(nodes)
            for key, by_node in reps.items():
                vals = {(r.get("commit_offset"), r.get("log_checksum")) for r in by_node.values()}
                expect = min(len(nodes or range(1, self.n + 1)), self.replication(key[0]))
                if len(by_node) != expect or len(vals) != 1:
                    return None
            return reps
        return harness.wait_for("replicas to hold the same committed batches", ok, timeout, 0.5)

    def replication(self, topic):
        for t, _, r in self.topics:
            if t == topic:
                return min(r, self.n)
        return 0


def probe_write(bootstrap, topic, partition, deadline_s=30):
    """Writes one acks=-1 record to one partition, retrying until it is
    acknowledged; returns the monotonic time of the acknowledgement."""
    import confluent_kafka
    p = confluent_kafka.Producer({"bootstrap.servers": bootstrap, "acks": "all",
                                  "linger.ms": 0, "retry.backoff.ms": 20,
                                  "message.timeout.ms": int(deadline_s * 1000),
                                  "topic.metadata.refresh.interval.ms": 100})
    done = {}

    def cb(err, msg):
        done["err"] = err
        done["t"] = time.monotonic()
    p.produce(topic, value=b"probe", partition=partition, on_delivery=cb)
    p.flush(deadline_s + 5)
    assert done.get("err") is None and "t" in done, "probe write failed: %r" % done.get("err")
    return done["t"]
