#!/usr/bin/env bash
# Cold start to ready, and idle memory, of the release binary.
#   bash benches/startup.sh [runs]
# "Fresh" starts on an empty data directory (creates the SQLite file, runs every migration,
# generates the secret); "existing" restarts on that same directory. Ready means /readyz
# answered 200. Idle RSS is read from /proc 5 s after ready, with no traffic.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/release/liaison
runs=${1:-10}
[ -x "$bin" ] || cargo build --release
port=18123
ms() { date +%s%N | cut -c1-13; }

start_and_wait() { # dir -> sets $elapsed (ms to ready) and $pid
  local dir=$1 t0
  t0=$(ms)
  LIAISON_BIND=127.0.0.1:$port LIAISON_DATA_DIR="$dir" LIAISON_LOG_LEVEL=warn "$bin" serve >/dev/null 2>&1 &
  pid=$!
  until curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || { echo "liaison exited before it was ready (is port $port taken?)" >&2; exit 1; }
    sleep 0.005
  done
  elapsed=$(( $(ms) - t0 ))
}

fresh=() existing=()
for _ in $(seq "$runs"); do
  dir=$(mktemp -d)
  start_and_wait "$dir"; fresh+=("$elapsed"); kill -TERM "$pid"; wait "$pid" || true
  start_and_wait "$dir"; existing+=("$elapsed"); kill -TERM "$pid"; wait "$pid" || true
  rm -rf "$dir"
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "cold start to ready, fresh data dir:    median $(median "${fresh[@]}") ms  (runs: ${fresh[*]})"
echo "cold start to ready, existing data dir: median $(median "${existing[@]}") ms  (runs: ${existing[*]})"

dir=$(mktemp -d)
start_and_wait "$dir"
sleep 5
echo "idle RSS after start: $(awk '/VmRSS/ {print $2, $3}' "/proc/$pid/status")"
kill -TERM "$pid"; wait "$pid" || true
rm -rf "$dir"
