#!/usr/bin/python3
"""test_kill_worker.py - kill -9 a worker while an acks=-1 librdkafka
producer writes: the supervisor restarts it, and every acknowledged record is
consumed back."""
import os
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
import clients  # noqa: E402
import harness  # noqa: E402
import records  # noqa: E402

PORT_BASE = int(os.environ.get("FJORD_IT_PORT_BASE", "29200"))
N = 20000
PARTS = 4
TOPIC = "killme"


def test():
    node = harness.Node("kill", PORT_BASE, {TOPIC: PARTS})
    try:
        node.start()
        node.wait_serving(TOPIC, PARTS)
        recs = records.make("kill", N)
        result = {}

        def produce():
            # Paced to last ~4 s so the kills land in the middle of the stream.
            result["delivered"], result["errors"] = clients.rdkafka_produce(
                node.bootstrap, TOPIC, recs, -1,
                extra={"linger.ms": 1, "batch.num.messages": 200}, timeout=90,
                pace=(50, 0.01), progress=result)

        t = threading.Thread(target=produce)
        t.start()
        kills = []
        for victim in (0, 2):
            time.sleep(1.0)
            old = harness.wait_for("worker %s/%d" % (TOPIC, victim),
                                   lambda: node.worker_pid(TOPIC, victim))
            os.kill(old, signal.SIGKILL)
            kills.append(time.monotonic())
            sent = result.get("sent", 0)
            assert 0 < sent < N, "kill did not land mid-stream (%d of %d sent)" % (sent, N)
            new = harness.wait_for(
                "worker %s/%d to be restarted" % (TOPIC, victim),
                lambda: (lambda p: p if p and p != old else None)(node.worker_pid(TOPIC, victim)),
                timeout=15)
            harness.log("killed worker %d of partition %d, restarted as %d" % (old, victim, new))
        t.join(timeout=120)
        assert not t.is_alive(), "producer did not finish"
        assert not result["errors"], "delivery errors: %r" % result["errors"][:3]
        acked = {v for _, _, v in result["delivered"]}
        assert len(acked) == N, "only %d of %d acknowledged" % (len(acked), N)

        got = clients.kcat_consume(node.bootstrap, TOPIC, len(acked))
        values = [r[3] for r in got]
        missing = acked - set(values)
        assert not missing, "%d acknowledged records lost, e.g. %r" % (len(missing), sorted(missing)[:3])
        dups = len(values) - len(set(values))
        # Offsets stay contiguous in every partition even across restarts.
        for p in range(PARTS):
            offs = [r[1] for r in got if r[0] == p]
            assert offs == list(range(len(offs))), "partition %d offsets have gaps" % p
        metrics = node.metrics()
        for victim in (0, 2):
            line = 'fjord_worker_restarts_total{topic="%s",partition="%d"} 1' % (TOPIC, victim)
            assert line in metrics, "metrics lack %r" % line
        harness.log("%d acknowledged, %d consumed, 0 lost, %d duplicates (retries)" %
                    (len(acked), len(values), dups))
    except Exception:
        print(node.tail(), file=sys.stderr)
        raise
    finally:
        node.cleanup()


if __name__ == "__main__":
    harness.run(test, "kill_worker")
