#!/usr/bin/env bash
# Every performance scenario in one command, each a ratio measured in the same run on the
# same machine, and the table of them in BENCHMARKS.md rewritten.
#
#   bash benches/run.sh               the full run
#   bash benches/run.sh --quick       every scenario briefly, for a change's before and after
#   bash benches/run.sh --no-write    (with either) print the table, leave BENCHMARKS.md be
#
# Step by step:
#  1. builds the benches, and the release binary they start, with `cargo bench --no-run
#     --bench=...` (the bench profile is the release profile; target/release/liaison is that
#     binary; a separate `cargo build --release` would build the dependencies a second time,
#     without the dev-dependencies' features, and overwrite it);
#  2. checks whether PostgreSQL answers at LIAISON_BENCH_DATABASE_URL (by default
#     postgres://postgres@127.0.0.1:5432/postgres); if not, its rows say "not run:
#     PostgreSQL unreachable" and everything else runs;
#  3. runs each scenario with `cargo bench --bench <name>` and the BENCH_* settings below,
#     each bench's whole output going to target/bench-logs/<date-time>/<step>.log and to the
#     screen. All load is on loopback, bounded in time or in count; a step that runs past its
#     time limit is stopped:
#       demo_load              P8   `liaison demo --size large` vs a bare bulk insert; leaves
#                                   target/bench-data/national-large.db
#       dashboard(_pg)         P3   SQLite (its large side a copy of that database), PostgreSQL
#       family_home            P1a, P1b, P5
#       family_home_national   P7   the same pages on a copy of the national database
#       family_home_pg         P1b on PostgreSQL, for P6
#       contacts(_pg)          P2, and on PostgreSQL for P6
#       notify                 P4
#  4. collects the `BENCH-RESULT` lines (format in benches/common/mod.rs, `Outcome`) and
#     rewrites the block between `<!-- bench-table:start -->` and `<!-- bench-table:end -->`
#     in BENCHMARKS.md, adding it under "## Every scenario (`bash benches/run.sh`)" before the
#     file's first section when the markers are missing. A scenario that did not run says
#     "failed to run" and names its log.
#
# --quick: one round of 2 s instead of three of 5 s, 1,000 contacts, 10 dashboard requests a
# round, 100 messages, `liaison demo --size medium`. P3 (SQLite) and P7 use the large
# national database an earlier full run left in target/bench-data if there is one (the table
# says from when), the medium set otherwise; P3 on PostgreSQL uses the medium set on both
# sides. Compare a --quick run with another --quick run only.
#
# Time on 2 cores once the release build is done, estimated from BENCHMARKS.md's figures:
#   full   P8 ~2 min (the command ~60 s, the bare copy ~30 s); P3 SQLite ~0.5 min; P3
#          PostgreSQL ~2.5 min (generating the large set ~110 s); P1a/P1b/P5 ~1.5 min (3
#          rounds of hello-world, cached, afresh, afresh + writer, 6 s each); P7 ~1.2 min;
#          P1b on PostgreSQL ~0.8 min; P2 twice ~0.5 min; P4 ~1.8 min (the plain lettre loop
#          sends ~23 messages a second) -> about 11 minutes (limit: 20).
#   quick  about 2 minutes, 3 if the large database is there to copy.
#
# Exit status: 0 when every scenario ran (whether or not it met its target); 1 when any did
# not (its row says so); 2 for a bad option or a failed build.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

quick=0 write=1
for arg in "$@"; do
  case $arg in
    --quick) quick=1 ;;
    --no-write) write=0 ;;
    -h | --help)
      awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
      exit 0
      ;;
    *)
      echo "run.sh: unknown option $arg (--quick, --no-write)" >&2
      exit 2
      ;;
  esac
done

pg_url=${LIAISON_BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
# Nothing from the caller's environment changes a step: each gets exactly its settings.
while read -r name; do unset "$name"; done < <(compgen -e | grep -E '^(BENCH_|LIAISON_)' || true)

stamp=$(date +%Y-%m-%d-%H%M%S)
logs=target/bench-logs/$stamp
data=$root/target/bench-data
mkdir -p "$logs" "$data"

benches=(demo_load dashboard family_home contacts notify)
echo "==> release build of the benches and target/release/liaison (cargo bench --no-run)"
if ! cargo bench --no-run "${benches[@]/#/--bench=}" 2>&1 | tee "$logs/build.log"; then
  echo "run.sh: the build failed; see $logs/build.log" >&2
  exit 2
fi

# PostgreSQL, without any password in what is shown.
pg_shown=$(sed -E 's#//[^@/]*@#//#' <<<"$pg_url")
pg_ok=0 pg_version=""
if command -v psql >/dev/null 2>&1; then
  if psql "$pg_url" -Atqc 'SELECT 1' >/dev/null 2>&1; then
    pg_ok=1
    pg_version=$(psql "$pg_url" -Atqc 'SHOW server_version' 2>/dev/null | awk '{print $1}' || true)
  fi
else
  hostport=$(sed -E 's#^[a-z]+://([^@/]*@)?([^/?]*).*#\2#' <<<"$pg_url")
  host=${hostport%:*} port=${hostport##*:}
  if [ "$host" = "$hostport" ]; then port=5432; fi
  if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then pg_ok=1; fi
fi
pg_skip="not run: PostgreSQL unreachable at $pg_shown"
scenarios_started=$SECONDS
if [ "$pg_ok" = 1 ]; then echo "==> PostgreSQL answers at $pg_shown"; else echo "==> $pg_skip"; fi

if [ "$quick" = 1 ]; then
  rounds=1 seconds=2 contacts_n=1000 requests=10 messages=100 demo_size=medium limit=600
else
  rounds=3 seconds=5 contacts_n=2000 requests=20 messages=2000 demo_size=large limit=1200
fi
dash_rounds=$((quick ? 1 : 5))
national=$data/national-$demo_size.db
large_db=$data/national-large.db

declare -A status=()
current=""
trap 'if [ -n "$current" ]; then kill -TERM -- "-$current" 2>/dev/null || true; fi; exit 130' INT TERM

# run_step NAME BENCH [VAR=value ...]: `cargo bench --bench BENCH` with those settings and no
# others, its output to $logs/NAME.log and the screen; how it ended in status[NAME].
run_step() {
  local name=$1 bench=$2 log="$logs/$1.log" rc=0 t0=$SECONDS tailer
  shift 2
  printf '\n==> %s: %s cargo bench --bench %s\n' "$name" "$*" "$bench"
  : >"$log"
  # `timeout` leads its own process group, so stopping it stops the portal a bench started.
  timeout -k 30 "$limit" env "$@" cargo bench --bench "$bench" >"$log" 2>&1 &
  current=$!
  tail -n +1 -f --pid="$current" "$log" &
  tailer=$!
  wait "$current" || rc=$?
  wait "$tailer" 2>/dev/null || true
  current=""
  case $rc in
    0) status[$name]=ran ;;
    124 | 137) status[$name]="stopped after $limit s" ;;
    *) status[$name]="exit status $rc" ;;
  esac
  printf '<== %s: %s, %d s\n' "$name" "${status[$name]}" $((SECONDS - t0))
}

# P8 first: the database `liaison demo` makes is the national data set the others load.
run_step demo_load demo_load "BENCH_DEMO_SIZE=$demo_size" "BENCH_KEEP_DATABASE=$national"
if [ ! -s "$national" ] && [ -x target/release/liaison ]; then
  echo "==> demo_load left no $national: making it with target/release/liaison demo --size $demo_size"
  prep=$(mktemp -d)
  if (cd "$prep" && LIAISON_DATABASE_URL="sqlite://$prep/demo.db" LIAISON_DATA_DIR="$prep/data" \
    LIAISON_LOG_LEVEL=warn "$root/target/release/liaison" demo --size "$demo_size") \
    >"$logs/prepare.log" 2>&1; then
    mv "$prep/demo.db" "$national"
  else
    echo "    that failed too; see $logs/prepare.log"
  fi
  rm -rf "$prep"
fi

# What the dashboard's large side and P7 start from.
if [ -s "$large_db" ]; then
  big=$large_db
  if [ "$quick" = 1 ]; then
    big_what="the large national set (1,000,000 contacts) of the full run of $(date -r "$large_db" +%Y-%m-%d)"
  else
    big_what="the large national set (1,000,000 contacts) made by P8"
  fi
  dash_large=("BENCH_LARGE_DB=$large_db")
  p3_what="$big_what vs the medium set (10,000)"
elif [ "$quick" = 1 ]; then
  big=$national
  big_what="the medium national set (10,000 contacts; quick)"
  dash_large=(BENCH_LARGE_SIZE=medium)
  p3_what="the medium set on both sides (quick: the ratio shows noise only)"
else
  big=""
  big_what=""
  dash_large=(BENCH_LARGE_SIZE=large)
  p3_what="1,000,000 contacts (generated by the bench) vs 10,000"
fi
if [ "$quick" = 1 ]; then
  p3_pg_what="the medium set on both sides (quick: the ratio shows noise only)"
else
  p3_pg_what="1,000,000 contacts vs 10,000"
fi

run_step dashboard dashboard "BENCH_ROUNDS=$dash_rounds" "BENCH_REQUESTS=$requests" "${dash_large[@]}"
if [ "$pg_ok" = 1 ]; then
  run_step dashboard_pg dashboard "BENCH_ROUNDS=$dash_rounds" "BENCH_REQUESTS=$requests" \
    "BENCH_LARGE_SIZE=$demo_size" "LIAISON_BENCH_DATABASE_URL=$pg_url"
else
  status[dashboard_pg]=$pg_skip
fi

fh=("BENCH_ROUNDS=$rounds" "BENCH_SECONDS=$seconds" BENCH_CLIENTS=16)
run_step family_home family_home "${fh[@]}" BENCH_PHASES=cached,afresh,writer \
  BENCH_WRITER_CONTACTS=200 BENCH_WRITER_UPDATES=20
if [ -n "$big" ] && [ -s "$big" ]; then
  run_step family_home_national family_home "${fh[@]}" BENCH_PHASES=afresh,writer \
    BENCH_WRITER_CONTACTS=200 BENCH_WRITER_UPDATES=20 "BENCH_NATIONAL_DB=$big"
else
  status[family_home_national]="failed to run: no national data set (see $logs/demo_load.log)"
fi
if [ "$pg_ok" = 1 ]; then
  run_step family_home_pg family_home "${fh[@]}" BENCH_PHASES=afresh "LIAISON_BENCH_DATABASE_URL=$pg_url"
else
  status[family_home_pg]=$pg_skip
fi

run_step contacts contacts "BENCH_ROUNDS=$rounds" "BENCH_CONTACTS=$contacts_n" BENCH_CLIENTS=8
if [ "$pg_ok" = 1 ]; then
  run_step contacts_pg contacts "BENCH_ROUNDS=$rounds" "BENCH_CONTACTS=$contacts_n" BENCH_CLIENTS=8 \
    "LIAISON_BENCH_DATABASE_URL=$pg_url"
else
  status[contacts_pg]=$pg_skip
fi

run_step notify notify "BENCH_MESSAGES=$messages"

# ---- The table ----

# The BENCH-RESULT line of STEP for SCENARIO and METRIC, or nothing.
result() {
  grep -m1 -E "^BENCH-RESULT scenario=$2 engine=[a-z]+ metric=$3 " "$logs/$1.log" 2>/dev/null || true
}

# field LINE KEY: the value of KEY in a BENCH-RESULT line.
field() {
  local - kv
  set -f
  for kv in $1; do
    if [ "${kv%%=*}" = "$2" ]; then
      printf '%s' "${kv#*=}"
      return 0
    fi
  done
  return 0
}

# The facts a line gives beyond the usual fields, as "(key=value, ...)".
extras() {
  local - kv out=""
  set -f
  for kv in $1; do
    case ${kv%%=*} in
      BENCH-RESULT | scenario | engine | metric | figure | baseline | unit | ratio | target | pass) ;;
      *) out+="${out:+, }$kv" ;;
    esac
  done
  if [ -n "$out" ]; then printf ' (%s)' "$out"; fi
}

# ">=0.3" -> "≥ 0.3"
pretty_target() {
  case $1 in
    '>='*) printf '≥ %s' "${1#>=}" ;;
    '<='*) printf '≤ %s' "${1#<=}" ;;
    *) printf '%s' "$1" ;;
  esac
}

verdict() { if [ "$1" = yes ]; then printf 'pass'; else printf '**fail**'; fi; }

failed=0
# Why STEP gave no result: its status, or that it ran without printing one. Called in this
# shell (not in $(...)), so that `failed` is kept.
missing() {
  local step=$1 why=${status[$1]:-not run}
  case $why in
    "not run:"*) printf '%s' "$why" ;;
    "failed to run"*)
      failed=1
      printf '%s' "$why"
      ;;
    *)
      failed=1
      printf 'failed to run (%s; see `%s`)' "$why" "$logs/$step.log"
      ;;
  esac
}

# row LABEL STEP SCENARIO METRIC WHAT: one table row from one result line.
row() {
  local label=$1 step=$2 scenario=$3 metric=$4 what=$5 line unit baseline ratio target
  line=$(result "$step" "$scenario" "$metric")
  if [ -z "$line" ]; then
    printf '| %s | %s | — | — | — | — | ' "$label" "$what"
    missing "$step"
    printf ' |\n'
    return 0
  fi
  unit=$(field "$line" unit)
  baseline=$(field "$line" baseline)
  ratio=$(field "$line" ratio)
  target=$(pretty_target "$(field "$line" target)")
  if [ "$baseline" = - ]; then baseline="—"; else baseline="$baseline $unit"; fi
  if [ "$ratio" = - ]; then ratio="—" target="$target $unit"; fi
  printf '| %s | %s | %s %s%s | %s | %s | %s | %s |\n' "$label" "$what" \
    "$(field "$line" figure)" "$unit" "$(extras "$line")" "$baseline" "$ratio" "$target" \
    "$(verdict "$(field "$line" pass)")"
}

# p6 LABEL PG_STEP SQLITE_STEP SCENARIO WHAT: a figure on PostgreSQL against the same on SQLite.
p6() {
  local label=$1 pg_step=$2 sqlite_step=$3 scenario=$4 what=$5 pg sqlite unit ratio pass
  pg=$(result "$pg_step" "$scenario" throughput)
  sqlite=$(result "$sqlite_step" "$scenario" throughput)
  if [ -z "$pg" ] || [ -z "$sqlite" ]; then
    printf '| %s | %s | — | — | — | ≥ 0.5 | ' "$label" "$what"
    if [ -z "$pg" ]; then missing "$pg_step"; else missing "$sqlite_step"; fi
    printf ' |\n'
    return 0
  fi
  unit=$(field "$pg" unit)
  ratio=$(awk -v a="$(field "$pg" figure)" -v b="$(field "$sqlite" figure)" \
    'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "-" }')
  pass=$(awk -v r="$ratio" 'BEGIN { print (r != "-" && r + 0 >= 0.5) ? "yes" : "no" }')
  printf '| %s | %s | %s %s (PostgreSQL) | %s %s (SQLite) | %s | ≥ 0.5 | %s |\n' "$label" "$what" \
    "$(field "$pg" figure)" "$unit" "$(field "$sqlite" figure)" "$unit" "$ratio" "$(verdict "$pass")"
}

if [ "$quick" = 1 ]; then
  load_what="16 keep-alive clients, 1 round of 2 s (quick)"
else
  load_what="16 keep-alive clients, median of 3 rounds of 5 s"
fi
table=$(mktemp)
{
  echo '| scenario | what | figure | baseline | ratio | target | pass or fail |'
  echo '|---|---|---|---|---|---|---|'
  row P1a family_home P1a throughput \
    "family home page kept in memory (\`GET /family\`, a relative's second visit) vs an actix-web hello-world, throughput; SQLite, $load_what"
  row P1a family_home P1a p99 "the same, p99 latency"
  row P1b family_home P1b throughput \
    "family home page read and rendered on every request (\`/family?afresh\`, a first visit) vs the same hello-world, throughput"
  row P1b family_home P1b p99 "the same, p99 latency"
  row P2 contacts P2 throughput \
    "contacts logged through \`POST /api/v1/cases/{id}/contacts\` (8 clients, $contacts_n a round) vs a bare SQLite insert loop with the same pragmas, one transaction a row"
  row P3 dashboard P3 p50-28d \
    "manager's timeliness dashboard of team 1 over 28 days, SQLite, median latency: $p3_what"
  row P3 dashboard P3 p50-366d "the same over 366 days"
  row P3 dashboard_pg P3 p50-28d \
    "manager's timeliness dashboard of team 1 over 28 days, PostgreSQL, median latency: $p3_pg_what"
  row P3 dashboard_pg P3 p50-366d "the same over 366 days"
  row P4 notify P4 throughput \
    "notification worker vs a plain lettre send loop to the same loopback SMTP server, $messages messages, SQLite"
  row P5 family_home P5 throughput \
    "P1b pages while the bench process logs 200 contacts and shares 20 updates a second through the API, vs without (no errors, writer at 95 % of its rates)"
  p6 P6 family_home_pg family_home P1b "P1b pages (\`/family?afresh\`) on PostgreSQL vs on SQLite"
  p6 P6 contacts_pg contacts P2 "P2 contacts through the API on PostgreSQL vs on SQLite"
  row P7 family_home_national P7 rss_anon_peak \
    "the server's peak anonymous memory (\`RssAnon\`, sampled every 50 ms) during P1b and P5 with ${big_what:-the national set} loaded"
  row P8 demo_load P8 time \
    "\`liaison demo --size $demo_size\` on SQLite vs a bare bulk insert of the same rows (same tables and indexes, no triggers, same pragmas); ratio: bare time / command time"
} >"$table"

cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
memory=$(awk '/^MemTotal:/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo 2>/dev/null || true)
rustc_version=$(rustc --version 2>/dev/null | awk '{ print $2 }' || true)
if commit=$(git rev-parse --short HEAD 2>/dev/null); then
  if ! git diff --quiet HEAD 2>/dev/null; then commit="$commit with uncommitted changes"; fi
else
  commit="unknown"
fi
if [ "$quick" = 1 ]; then
  how="a --quick run (\`bash benches/run.sh --quick\`: short, smaller data; compare only with another --quick run)"
else
  how="a full run (\`bash benches/run.sh\`)"
fi
machine="${cpu:-$(uname -m)}, $(nproc) cores, ${memory:-? GiB} RAM, $(uname -s) $(uname -r), rustc ${rustc_version:-?}, SQLite bundled${pg_version:+, PostgreSQL $pg_version on the same machine}"
block=$(mktemp)
{
  echo '<!-- bench-table:start -->'
  echo "$(date '+%Y-%m-%d %H:%M %Z'), $how, commit $commit; the scenarios took $(((SECONDS - scenarios_started + 30) / 60)) min after the build."
  echo "Machine: $machine. Logs: \`$logs/\` on that machine."
  echo
  cat "$table"
  echo
  echo "Figures and baselines are medians over the rounds of one run; a ratio is the median of the"
  echo "rounds' own ratios, so not always figure / baseline. P6 divides the PostgreSQL figure by the"
  echo "SQLite one, both from this run; P8's ratio is the bare insert's time over the command's."
  echo "Pass or fail is against each scenario's target; a fail is a figure to improve, not a failed run."
  echo '<!-- bench-table:end -->'
} >"$block"

echo
echo "==> results (logs in $logs)"
cat "$table"

if [ "$write" = 1 ]; then
  file=BENCHMARKS.md
  [ -f "$file" ] || printf '# Benchmarks\n' >"$file"
  new=$(mktemp)
  if grep -q '<!-- bench-table:start -->' "$file" && grep -q '<!-- bench-table:end -->' "$file"; then
    awk -v block="$block" '
      /<!-- bench-table:start -->/ { while ((getline line < block) > 0) print line; skipping = 1; next }
      /<!-- bench-table:end -->/ { skipping = 0; next }
      !skipping { print }' "$file" >"$new"
  else
    awk -v block="$block" '
      function insert() {
        print "## Every scenario (`bash benches/run.sh`)"
        print ""
        while ((getline line < block) > 0) print line
        print ""
        inserted = 1
      }
      !inserted && /^## / { insert() }
      { print }
      END { if (!inserted) { print ""; insert() } }' "$file" >"$new"
  fi
  cat "$new" >"$file"
  rm -f "$new"
  echo "==> BENCHMARKS.md: the table between the bench-table markers is rewritten"
fi
rm -f "$table" "$block"

if [ "$failed" = 1 ]; then
  echo "run.sh: some scenarios did not run; see their rows and $logs" >&2
  exit 1
fi
