"""records.py - expected-record generation and exact consume-back checks.

Records are numbered: key "<run>-k<i % 97>" spreads them over partitions by
the client's key hash, value "<run>-v<i>-<padding>" carries the sequence
number, and two headers carry the run name and the number again. check()
demands every produced record exactly once, with its key, value and headers,
offsets contiguous from 0 in every partition, and records of one run in
produce order within each partition (Kafka's per-partition ordering).
"""
import collections

KEYS = 97


def make(run, n, size=40, seq_header=True):
    out = []
    for i in range(n):
        key = "%s-k%d" % (run, i % KEYS)
        value = ("%s-v%d-" % (run, i)).ljust(size, "x")
        headers = [("run", run.encode())]
        if seq_header:
            headers.append(("seq", str(i).encode()))
        out.append((key, value, headers))
    return out


def check(consumed, runs):
    """consumed: list of (partition, offset, key, value, headers as list of
    (str, bytes)). runs: dict run -> expected list from make(). Raises
    AssertionError naming the first difference."""
    by_part = collections.defaultdict(list)
    for rec in consumed:
        by_part[rec[0]].append(rec)
    for p, recs in by_part.items():
        offs = [r[1] for r in recs]
        assert offs == list(range(len(offs))), \
            "partition %d offsets not contiguous from 0: first few %r" % (p, offs[:10])

    seen = collections.defaultdict(dict)
    for p, recs in sorted(by_part.items()):
        last_seq = {}
        for (_, off, key, value, headers) in recs:
            run = value.split("-v", 1)[0]
            assert run in runs, "unexpected record %r at %d/%d" % (value, p, off)
            seq = int(value.split("-v", 1)[1].split("-", 1)[0])
            assert seq not in seen[run], "duplicate %s seq %d at %d/%d" % (run, seq, p, off)
            want_key, want_value, want_headers = runs[run][seq]
            assert key == want_key, "key %r != %r for %s seq %d" % (key, want_key, run, seq)
            assert value == want_value, "value mismatch for %s seq %d" % (run, seq)
            assert list(headers) == want_headers, \
                "headers %r != %r for %s seq %d" % (headers, want_headers, run, seq)
            assert last_seq.get(run, -1) < seq, \
                "order broken in partition %d: %s seq %d after %d" % (p, run, seq, last_seq[run])
            last_seq[run] = seq
            seen[run][seq] = p
    for run, want in runs.items():
        missing = [i for i in range(len(want)) if i not in seen[run]]
        assert not missing, "%s: %d of %d records missing, first %r" % (
            run, len(missing), len(want), missing[:5])
        # The same key always lands in the same partition.
        parts_per_key = collections.defaultdict(set)
        for seq, p in seen[run].items():
            parts_per_key[want[seq][0]].add(p)
        split = [k for k, ps in parts_per_key.items() if len(ps) != 1]
        assert not split, "%s: keys spread over several partitions: %r" % (run, split[:3])
    return sum(len(v) for v in seen.values())
