#!/usr/bin/env bash
# bench/senderlag.sh — the load runner's own precision (docs/performance.md,
# "The load runner's sender"): one simulator, then 30 s runs of
# 'payhsm-gw load' against it at 1000 and 2500/s alternated three times and
# one run each at 60 and 250/s, on the same cores. Each run's JSON report and
# the runner's user+system CPU (time(1)) land in OUT; runs.txt has one line a
# run: rate, run, UTC start, load average before and after, user and system
# seconds. Run it on a machine with nothing else busy.
#
# Environment: OUT (default a new temporary directory), PORT (default 19600),
# DURATION (default 30s), RUNS (default "1000:1 2500:1 1000:2 2500:2 1000:3
# 2500:3 60:1 250:1", RATE:RUN pairs).
set -euo pipefail
OUT=${OUT:-$(mktemp -d)}
PORT=${PORT:-19600}
DURATION=${DURATION:-30s}
RUNS=${RUNS:-1000:1 2500:1 1000:2 2500:2 1000:3 2500:3 60:1 250:1}
mkdir -p "$OUT"
cd "$(dirname "$0")/.."
go build -o "$OUT/payhsm-gw" ./cmd/payhsm-gw
bin=$OUT/payhsm-gw
"$bin" sim --listen "127.0.0.1:$PORT" >"$OUT/sim.log" 2>&1 &
sim=$!
trap 'kill $sim 2>/dev/null' EXIT
sleep 1
for spec in $RUNS; do
	rate=${spec%:*}
	run=${spec#*:}
	l0=$(cut -d' ' -f1 /proc/loadavg)
	t0=$(date -u +%H:%M:%S)
	/usr/bin/time -f "%U %S" -o "$OUT/time-$rate-$run.txt" "$bin" load --target "127.0.0.1:$PORT" \
		--profile "$rate" --duration "$DURATION" --json "$OUT/r-$rate-$run.json" >"$OUT/out-$rate-$run.txt" 2>&1 || true
	l1=$(cut -d' ' -f1 /proc/loadavg)
	echo "$rate $run $t0 $l0 $l1 $(cat "$OUT/time-$rate-$run.txt")" >>"$OUT/runs.txt"
	tail -3 "$OUT/out-$rate-$run.txt" | head -1
done
echo "reports: $OUT"
