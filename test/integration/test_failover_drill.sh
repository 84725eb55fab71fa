#!/bin/sh
# test_failover_drill.sh - a 20 s run of tools/failover-drill (seed 7) on its
# own ports: kills leader and follower workers and a whole node of a 3-node
# cluster under acks=-1 load. Passes when the drill exits 0 and its summary
# shows no acknowledged record lost or away from its acknowledged offset,
# equal replicas, at least one kill, and leader and follower kills apart.
ROOT=$(cd "$(dirname "$0")/../.." && pwd) || exit 1
BIN=${FJORD_BIN:-$ROOT/bin}
out=$(mktemp /tmp/fjord-it-drill-XXXXXX) || exit 1
trap 'rm -f "$out"' EXIT
fail() {
	echo "FAIL failover_drill: $*"
	exit 1
}
start=$(date +%s)
# The drill bounds its own waits; the timeout is a backstop. It sends SIGTERM,
# on which the drill still stops its cluster by pid.
timeout 400 /usr/bin/python3 "$ROOT/tools/failover-drill" --duration 20 --seed 7 \
	--kafka-base 29800 --raft-base 29850 --admin-base 29900 --bin "$BIN" >"$out" 2>&1
rc=$?
# librdkafka's connection-refused lines (a node is down on purpose) are noise.
grep -v '^%[0-9]|' "$out" | sed 's/^/  /'
[ $rc -eq 0 ] || fail "the drill exited $rc"
grep -Eq '^lost +0$' "$out" || fail "the summary does not show lost 0"
# Each acknowledged record must sit at the partition and offset its delivery
# report named, not merely exist somewhere.
grep -Eq '^not at acked offset +0$' "$out" || fail "acknowledged records are not at their acknowledged offsets"
# Leader and follower kills are reported apart (seed 7's first three kills
# are one of each kind).
grep -Eq '^failover ms, leaders +median [0-9]+, max [0-9]+$' "$out" ||
	fail "the summary has no failover figures for leader-worker kills"
grep -Eq '^failover ms, followers +median [0-9]+, max [0-9]+$' "$out" ||
	fail "the summary has no failover figures for follower-worker kills"
grep -Eq '^replicas equal +yes$' "$out" || fail "the summary does not show equal replicas"
grep -Eq '^result: PASS$' "$out" || fail "the drill did not print result: PASS"
# fjord serves InitProducerId, so the drill's producer is idempotent: retries
# after a failover must not store a record twice.
grep -q 'idempotent producer$' "$out" || fail "the drill's producer is not idempotent"
grep -Eq '^duplicated +0$' "$out" || fail "the idempotent producer's records were stored twice"
kills=$(sed -n 's/^kills  *\([0-9][0-9]*\) .*/\1/p' "$out")
[ "${kills:-0}" -ge 1 ] || fail "the drill killed nothing"
acked=$(sed -n 's/^acknowledged  *\([0-9][0-9]*\)$/\1/p' "$out")
[ "${acked:-0}" -ge 10000 ] || fail "only ${acked:-0} records acknowledged"
echo "PASS failover_drill ($(($(date +%s) - start))s): $kills kills, $acked acknowledged, 0 lost"
