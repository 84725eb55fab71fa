"""harness.py - start and stop real fjord nodes for integration tests.

Every test gets its own port base and a fresh data folder, and every process
it started is stopped by pid when the test ends, pass or fail. All waits are
bounded. Imported by the test_*.py scripts next to it; run them with
/usr/bin/python3 (Debian's Kafka client packages import only there).
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("FJORD_BIN", os.path.join(ROOT, "bin"))


def log(msg):
    print("  " + msg, flush=True)


def wait_for(what, fn, timeout=20.0, interval=0.05):
    """Polls fn() until it returns a true value; raises after timeout seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = fn()
            if last:
                return last
        except Exception as e:  # noqa: BLE001 - report the last failure below
            last = e
        time.sleep(interval)
    raise AssertionError("timed out after %.0fs waiting for %s (last: %r)" % (timeout, what, last))


def port_open(host, port):
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex((host, port)) == 0


def alive(pid):
    """True if pid runs and is not a zombie (an unreaped killed process
    still answers kill(pid, 0))."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return False


def child_pids(parent):
    """Pids of parent's children, read from /proc (no admin API needed)."""
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[1]) == parent:
                pids.append(int(d))
        except (OSError, IndexError, ValueError):
            continue
    return pids


def worker_pid(parent, topic, partition):
    """Pid of parent's fjord-worker for topic/partition, found by its argv."""
    for pid in child_pids(parent):
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                args = [a.decode() for a in f.read().split(b"\0")]
        except OSError:
            continue
        if "--topic" in args and "--partition" in args:
            if args[args.index("--topic") + 1] == topic and \
                    args[args.index("--partition") + 1] == str(partition):
                return pid
    return None


class Node:
    """One fjord-supervisor with its workers, on ports base (Kafka), base+1
    (admin), base+2 (Raft)."""

    def __init__(self, name, port_base, topics, extra="", node_id=1):
        self.name = name
        self.port = port_base
        self.admin_port = port_base + 1
        self.raft_port = port_base + 2
        self.node_id = node_id
        self.dir = tempfile.mkdtemp(prefix="fjord-it-%s-" % name)
        self.data_dir = os.path.join(self.dir, "data")
        self.ini = os.path.join(self.dir, "fjord.ini")
        self.log_path = os.path.join(self.dir, "node.log")
        self.extra = extra
        self.proc = None
        self.logf = None
        self.write_config(topics)

    @property
    def bootstrap(self):
        return "127.0.0.1:%d" % self.port

    def write_config(self, topics):
        """topics: dict name -> partitions."""
        lines = [
            "[node]",
            "id = %d" % self.node_id,
            "data_dir = %s" % self.data_dir,
            "kafka_listen = 127.0.0.1:%d" % self.port,
            "admin_listen = 127.0.0.1:%d" % self.admin_port,
            "raft_listen = 127.0.0.1:%d" % self.raft_port,
            "log_level = info",
            "worker_path = %s" % os.path.join(BIN, "fjord-worker"),
            "",
            "[storage]",
            "map_size_mb = 256",
            "",
        ]
        for name, parts in topics.items():
            lines += ["[topic.%s]" % name, "partitions = %d" % parts, ""]
        lines.append(self.extra)
        with open(self.ini, "w") as f:
            f.write("\n".join(lines) + "\n")

    def start(self):
        self.logf = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [os.path.join(BIN, "fjord-supervisor"), "-c", self.ini],
            stdout=self.logf, stderr=subprocess.STDOUT, start_new_session=True)
        wait_for("node %s to listen on %d" % (self.name, self.port),
                 lambda: self.proc.poll() is None and port_open("127.0.0.1", self.port) or
                 (self.proc.poll() is not None and self._died()))
        return self

    def _died(self):
        raise AssertionError("supervisor exited with %s; log:\n%s" % (self.proc.returncode, self.tail()))

    def tail(self, n=60):
        try:
            with open(self.log_path, "rb") as f:
                return b"\n".join(f.read().splitlines()[-n:]).decode(errors="replace")
        except OSError:
            return ""

    def status(self):
        with urllib.request.urlopen("http://127.0.0.1:%d/v1/status" % self.admin_port, timeout=2) as r:
            return json.loads(r.read())

    def metrics(self):
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % self.admin_port, timeout=2) as r:
            return r.read().decode()

    def worker_pids(self):
        return child_pids(self.proc.pid) if self.proc else []

    def worker_pid(self, topic, partition):
        """Pid of the worker serving topic/partition, found by its argv."""
        return worker_pid(self.proc.pid, topic, partition) if self.proc else None

    def wait_serving(self, topic, partitions, timeout=20):
        """Waits until Metadata (via kcat) shows a leader for every partition."""
        def ok():
            out = subprocess.run(["kcat", "-b", self.bootstrap, "-L", "-t", topic, "-m", "3"],
                                 capture_output=True, text=True, timeout=10).stdout
            return sum(1 for l in out.splitlines()
                       if "partition" in l and "leader %d," % self.node_id in l) == partitions
        wait_for("%s to have %d partitions with leaders" % (topic, partitions), ok, timeout, 0.2)

    def reload(self):
        self.proc.send_signal(signal.SIGHUP)

    def stop(self):
        """SIGTERM the supervisor, wait (bounded), then SIGKILL it and any
        worker it left behind, by pid."""
        if self.proc is None:
            return
        workers = self.worker_pids()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        for pid in workers:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.logf:
            self.logf.close()
        self.proc = None

    def cleanup(self):
        self.stop()
        if os.environ.get("FJORD_KEEP_DATA"):
            log("kept %s" % self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


def run(test_fn, name):
    """Runs one test function, printing PASS/FAIL; exits non-zero on failure."""
    t0 = time.monotonic()
    try:
        test_fn()
    except Exception as e:  # noqa: BLE001
        import traceback
        traceback.print_exc()
        print("FAIL %s (%.1fs): %s" % (name, time.monotonic() - t0, e), flush=True)
        sys.exit(1)
    print("PASS %s (%.1fs)" % (name, time.monotonic() - t0), flush=True)
