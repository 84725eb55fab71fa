"""netns.py - a fjord cluster for integration tests run through
tools/netns-cluster: each node in its own network namespace on a private
bridge, with faults (cut, one-way cut, packet drop, SIGSTOP, full disk) on
demand.

The test process itself moves into the cluster's "host" namespace after
start (before it starts any thread), so its Kafka clients, kcat and admin
HTTP reach every node at SUBNET.<i>. stop() stops every process by pid and
removes the namespaces and mounts (tools/netns-cluster stop)."""
import ctypes
import json
import os
import signal
import subprocess
import urllib.request

import cluster
import harness

TOOL = os.path.join(harness.ROOT, "tools", "netns-cluster")
SUBNET = "10.77.0"
KAFKA_PORT, ADMIN_PORT = 9092, 9644
CLONE_NEWNET = 0x40000000


def enter(ns_file):
    """Moves the calling thread into the network namespace at ns_file. Call
    it before any thread starts: threads started later inherit it."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(ns_file, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns %s" % ns_file)
    finally:
        os.close(fd)


class NetnsCluster(cluster.Cluster):
    def __init__(self, name, n, topics, tmpfs=None, extra_args=()):
        super().__init__(name, n, 0, 0, 0, topics, extra_args)
        self.tmpfs = tmpfs or {}  # node -> MiB

    def args(self, cmd, *rest):
        a = [TOOL, cmd] + [str(x) for x in rest] + ["--data", self.dir, "--bin", harness.BIN]
        return a + self.extra_args

    def tool(self, cmd, *rest, timeout=60):
        """Runs one tools/netns-cluster command; raises if it fails."""
        r = subprocess.run(self.args(cmd, *rest), capture_output=True, text=True, timeout=timeout)
        assert r.returncode == 0, "tools/netns-cluster %s %s failed: %s%s" % (
            cmd, " ".join(map(str, rest)), r.stdout, r.stderr)
        return r.stdout

    def start(self, wait=60):
        a = self.args("start", self.n) + ["--wait", str(wait)]
        for t in self.topics:
            a += ["--topic", "%s:%d:%d" % t]
        for node, mb in self.tmpfs.items():
            a += ["--tmpfs", "%d:%d" % (node, mb)]
        r = subprocess.run(a, capture_output=True, text=True, timeout=wait + 60)
        assert r.returncode == 0, "tools/netns-cluster start failed:\n%s%s\n%s" % (
            r.stdout, r.stderr, self.tail_logs())
        enter("/run/netns/%s-host" % self.ns_name())
        self.remember_pids()
        return r.stdout

    def ns_name(self):
        with open(os.path.join(self.dir, "netns.json")) as f:
            return json.load(f)["name"]

    def start_node(self, i):
        self.tool("start-node", i)
        self.remember_pids()

    def stop(self):
        if os.path.exists(os.path.join(self.dir, "netns.json")):
            try:
                r = subprocess.run(self.args("stop"), capture_output=True, text=True, timeout=90)
                if r.returncode != 0:
                    harness.log("tools/netns-cluster stop: %s%s" % (r.stdout, r.stderr))
            except subprocess.TimeoutExpired:
                harness.log("tools/netns-cluster stop timed out")
        for pid in self.known_pids:
            if harness.alive(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    @property
    def bootstrap(self):
        return ",".join("%s.%d:%d" % (SUBNET, i, KAFKA_PORT) for i in range(1, self.n + 1))

    def bootstrap_of(self, nodes):
        return ",".join("%s.%d:%d" % (SUBNET, i, KAFKA_PORT) for i in nodes)

    def _get(self, i, path):
        with urllib.request.urlopen("http://%s.%d:%d%s" % (SUBNET, i, ADMIN_PORT, path),
                                    timeout=1) as r:
            return r.read()

    def status(self, i):
        return json.loads(self._get(i, "/v1/status"))

    def metrics(self, i):
        return self._get(i, "/metrics").decode()
