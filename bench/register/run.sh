#!/usr/bin/env bash
# REGISTER-rate benchmark: REGISTER -> 401 -> REGISTER + digest -> 200, 10,000 distinct users
# (SIPp, injection CSV), at increasing offered rates; prints JSON with, per rate, attempted /
# successful / failed registrations, failure %, achieved rate and CPU use, and the highest rate
# sustained with < 0.1 % failures.
#
# Usage:
#   bench/register/run.sh kamailio               # starts/stops Kamailio 5.6 (kamailio.cfg) itself
#   bench/register/run.sh pbx HOST:PORT          # an already running registrar (ours), loopback only
#
# Knobs (environment variables):
#   RATES="2000 4000 6000 8000 10000 12000"   offered rates, registrations/s (one step each)
#   DURATION=10        seconds of traffic per step (a step sends RATE*DURATION registrations)
#   INSTANCES=1        SIPp processes sharing the rate (each gets its own slice of the users)
#   TRANSPORT=u1       SIPp -t: u1 = one UDP socket per SIPp, un = one socket per call
#   USERS=10000 FIRST_USER=100000 DOMAIN=127.0.0.1   the accounts (make-users.mjs)
#   KAM_PORT=15060 KAM_CHILDREN=4     Kamailio UDP port (loopback) and worker processes
#   SIPP_PORT=16000    first local SIPp port (instance i uses SIPP_PORT+i)
#   TARGET_PID=...     pid(s) of the registrar, for its CPU (pbx mode; kamailio mode finds its own)
#   SIPP_BUFF=4194304  SIPp -buff_size (with the defaults, UDP loss from 8k/s -> retransmission storms)
#   PAUSE=2            seconds between steps
#   KEEP=1             keep the work dir (SIPp screens/stat CSVs/errors, kamailio log)
#
# CPU figures are % of ONE core (sippCpuPct/sippPeakCpuPct: the SIPp processes; targetCpuPct: the
# registrar's processes, given by TARGET_PID in pbx mode; hostCpuPct: whole machine, of NCPU*100;
# hostBusyBeforePct: the machine's load during the 1 s before the step - if it is not ~0, something
# else is running and the step's figures are not trustworthy).
# Output: JSON on stdout; progress on stderr. A step "sustains" its rate if failures < 0.1 %
# of attempted AND the achieved rate is >= 95 % of the offered one (otherwise SIPp hit its
# -l limit of open calls or could not generate the load: not "sustained").
#
# pbx mode: the 10,000 users must be provisioned in our PBX first, with the passwords of
#   node bench/register/make-users.mjs --out /tmp/u     (users.json: [{username,password,...}],
#   users.csv: ext;password;[authentication ...]; extensions 100000-109999, any domain/realm)
# then e.g.:  TARGET_PID=<pid of `pbx start`> bench/register/run.sh pbx 127.0.0.1:5060
#
# SIPp notes (2 cores): with -t u1 a single SIPp used <= ~55 % of a core at 16,000 reg/s: it is not
# the bottleneck (see README). -t un (socket per call)
# collapsed at 14,000/s (28 % failures) where u1 passed: don't use it here. INSTANCES=2 splits the load on 2 SIPp processes/ports.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MODE="${1:-}"
RATES="${RATES:-2000 4000 6000 8000 10000 12000}"
DURATION="${DURATION:-10}"
INSTANCES="${INSTANCES:-1}"
TRANSPORT="${TRANSPORT:-u1}"
USERS="${USERS:-10000}"
FIRST_USER="${FIRST_USER:-100000}"
DOMAIN="${DOMAIN:-127.0.0.1}"
KAM_PORT="${KAM_PORT:-15060}"
KAM_CHILDREN="${KAM_CHILDREN:-4}"
SIPP_PORT="${SIPP_PORT:-16000}"
PAUSE="${PAUSE:-2}"
SIPP_BUFF="${SIPP_BUFF:-4194304}"

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | grep '^#' | sed 's/^# \{0,1\}//' >&2; exit 2; }
log() { echo "[run.sh] $*" >&2; }

case "$MODE" in
  kamailio) TARGET="127.0.0.1:${KAM_PORT}" ;;
  pbx) TARGET="${2:-}"; [[ -n "$TARGET" ]] || usage ;;
  *) usage ;;
esac
HOST="${TARGET%:*}"; PORT="${TARGET##*:}"
# Loopback only: never send load anywhere else.
if ! [[ "$HOST" =~ ^127\.[0-9]+\.[0-9]+\.[0-9]+$ || "$HOST" == "localhost" ]]; then
  echo "refusing non-loopback target '$HOST'" >&2; exit 2
fi
[[ "$HOST" == "localhost" ]] && HOST=127.0.0.1
[[ "$PORT" =~ ^[0-9]+$ ]] || usage
for c in sipp node; do command -v "$c" >/dev/null || { echo "missing $c" >&2; exit 2; }; done

WORK="$(mktemp -d /tmp/bench-register.XXXXXX)"
KAM_PID=""
SIPP_PIDS=()
cleanup() {
  local p
  for p in "${SIPP_PIDS[@]:-}"; do [[ -n "$p" ]] && kill "$p" 2>/dev/null || true; done
  if [[ -n "$KAM_PID" ]]; then
    kill "$KAM_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$KAM_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$KAM_PID" 2>/dev/null || true
  fi
  if [[ -n "${KEEP:-}" ]]; then log "work dir kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ulimit -n 65536 2>/dev/null || true

# ---- users: users.csv for SIPp, split in one slice per instance
node "$HERE/make-users.mjs" --out "$WORK" --count "$USERS" --first "$FIRST_USER" --domain "$DOMAIN" 2>/dev/null
for i in $(seq 0 $((INSTANCES - 1))); do
  { echo SEQUENTIAL; tail -n +2 "$WORK/users.csv" | awk -v n="$INSTANCES" -v i="$i" '(NR-1)%n==i'; } > "$WORK/users-$i.csv"
done

# ---- Kamailio (reference)
TARGET_PIDS="${TARGET_PID:-}"
if [[ "$MODE" == kamailio ]]; then
  command -v kamailio >/dev/null && command -v sqlite3 >/dev/null || { echo "missing kamailio/sqlite3" >&2; exit 2; }
  if ss -uln 2>/dev/null | grep -q "127.0.0.1:${KAM_PORT} "; then echo "port ${KAM_PORT} busy" >&2; exit 2; fi
  DB="$WORK/kamailio.db"
  SQLDIR=/usr/share/kamailio/db_sqlite
  sqlite3 "$DB" < "$SQLDIR/standard-create.sql"
  sqlite3 "$DB" < "$SQLDIR/auth_db-create.sql"
  sqlite3 "$DB" < "$WORK/subscriber.sql"
  mkdir -p "$WORK/run"
  kamailio -f "$HERE/kamailio.cfg" -DD -E -n "$KAM_CHILDREN" -m 256 -M 16 \
    -Y "$WORK/run" -P "$WORK/run/kamailio.pid" \
    -A "LISTEN=udp:127.0.0.1:${KAM_PORT}" -A "DBURL=\"sqlite://${DB}\"" \
    >"$WORK/kamailio.log" 2>&1 &
  KAM_PID=$!
  for _ in $(seq 1 50); do
    ss -uln 2>/dev/null | grep -q "127.0.0.1:${KAM_PORT} " && break
    kill -0 "$KAM_PID" 2>/dev/null || { cat "$WORK/kamailio.log" >&2; exit 1; }
    sleep 0.1
  done
  sleep 0.5
  TARGET_PIDS="$KAM_PID $(pgrep -P "$KAM_PID" | tr '\n' ' ')"
  log "kamailio $(kamailio -v | head -1 | awk '{print $3}') pid $KAM_PID, $KAM_CHILDREN children, on $TARGET, db $DB"
fi

# Sum of utime+stime (seconds) of the given pids.
cpu_of() {
  local total=0 p t
  for p in "$@"; do
    t=$(awk '{print $14+$15}' "/proc/$p/stat" 2>/dev/null || echo 0)
    total=$((total + t))
  done
  awk -v t="$total" -v hz="$(getconf CLK_TCK)" 'BEGIN{printf "%.2f", t/hz}'
}

# Machine-wide busy jiffies and total jiffies (all CPUs), from /proc/stat
host_cpu() { awk '/^cpu /{b=$2+$3+$4+$7+$8; t=b+$5+$6; print b, t}' /proc/stat; }
NCPU=$(getconf _NPROCESSORS_ONLN)

STEPS_JSON=()
for RATE in $RATES; do
  CALLS=$((RATE * DURATION))
  STEP="$WORK/r$RATE"; mkdir -p "$STEP"
  log "rate $RATE/s: $CALLS registrations, $INSTANCES SIPp instance(s), -t $TRANSPORT"
  SIPP_PIDS=()
  per_rate=$(( (RATE + INSTANCES - 1) / INSTANCES ))
  per_calls=$(( (CALLS + INSTANCES - 1) / INSTANCES ))
  limit=$(( per_rate * 2 > 1000 ? per_rate * 2 : 1000 ))   # open calls cap: ~2 s of traffic
  # Background load before the step (other processes on the box): host busy % over 1 s
  read -r qb0 qt0 < <(host_cpu); sleep 1; read -r qb1 qt1 < <(host_cpu)
  idle_busy=$(awk -v b="$((qb1 - qb0))" -v t="$((qt1 - qt0))" -v n="$NCPU" 'BEGIN{printf "%.0f", (t>0 ? b/t*100*n : 0)}')
  t0=$(date +%s.%N)
  for i in $(seq 0 $((INSTANCES - 1))); do
    ( cd "$STEP" && exec timeout -k 5 $((DURATION * 3 + 40)) sipp "$HOST:$PORT" \
        -sf "$HERE/register.xml" -inf "$WORK/users-$i.csv" \
        -i 127.0.0.1 -p $((SIPP_PORT + i)) -t "$TRANSPORT" -max_socket 2000 -buff_size "$SIPP_BUFF" \
        -r "$per_rate" -rp 1000 -m "$per_calls" -l "$limit" \
        -timeout $((DURATION * 3 + 30))s -nostdin \
        -trace_stat -stf "stat-$i.csv" -fd 1 -trace_screen -screen_file "screen-$i.log" \
        -trace_err -error_file "errors-$i.log" \
        >/dev/null 2>"sipp-$i.stderr" ) &
    SIPP_PIDS+=($!)
  done
  sleep 0.3
  SIPP_REAL=()
  for p in "${SIPP_PIDS[@]}"; do SIPP_REAL+=("$(pgrep -P "$p" -x sipp || echo "$p")"); done
  # CPU over the step, sampled once a second while SIPp runs (SIPp and target), plus SIPp's
  # peak 1-s %CPU (100 % = one core; SIPp is single-threaded, so ~100 % means it is the limit)
  c_sipp0=$(cpu_of "${SIPP_REAL[@]}"); c_tgt0=$(cpu_of $TARGET_PIDS); ts0=$(date +%s.%N)
  c_sipp1=$c_sipp0; c_tgt1=$c_tgt0; ts1=$ts0; peak=0
  read -r hb0 ht0 < <(host_cpu); hb1=$hb0; ht1=$ht0
  while sleep 1; do
    alive=(); for p in "${SIPP_REAL[@]}"; do kill -0 "$p" 2>/dev/null && alive+=("$p"); done
    [[ ${#alive[@]} == "${#SIPP_REAL[@]}" ]] || break   # sample only while all instances run
    c=$(cpu_of "${SIPP_REAL[@]}"); ct=$(cpu_of $TARGET_PIDS); tn=$(date +%s.%N)
    peak=$(awk -v a="$c" -v b="$c_sipp1" -v t1="$tn" -v t0="$ts1" -v pk="$peak" 'BEGIN{v=(a-b)/(t1-t0)*100; printf "%.0f", (v>pk?v:pk)}')
    c_sipp1=$c; c_tgt1=$ct; ts1=$tn
    read -r hb1 ht1 < <(host_cpu)
  done
  rc=0; for p in "${SIPP_PIDS[@]}"; do wait "$p" || rc=$?; done
  SIPP_PIDS=()
  t1=$(date +%s.%N)
  sipp_cpu=$(awk -v a="${c_sipp1:-0}" -v b="$c_sipp0" -v t1="${ts1:-$ts0}" -v t0="$ts0" 'BEGIN{d=t1-t0; printf "%.0f", (d>0 ? (a-b)/d*100 : 0)}')
  tgt_cpu=$(awk -v a="${c_tgt1:-0}" -v b="$c_tgt0" -v t1="${ts1:-$ts0}" -v t0="$ts0" 'BEGIN{d=t1-t0; printf "%.0f", (d>0 ? (a-b)/d*100 : 0)}')
  host_pct=$(awk -v b="$((hb1 - hb0))" -v t="$((ht1 - ht0))" -v n="$NCPU" 'BEGIN{printf "%.0f", (t>0 ? b/t*100*n : 0)}')
  # Statistics: last line of each stat CSV (cumulative counters at exit)
  read -r created ok failed retrans elapsed < <(
    for i in $(seq 0 $((INSTANCES - 1))); do
      f="$STEP/stat-$i.csv"; [[ -s "$f" ]] || { echo "0 0 0 0 0"; continue; }
      tail -1 "$f" | awk -F';' '{split($1,s,"\t"); split($3,c,"\t"); print $13, $16, $18, $58, c[3]-s[3]}'
    done | awk '{cr+=$1; ok+=$2; f+=$3; re+=$4; if($5>el) el=$5} END{printf "%d %d %d %d %.3f\n", cr, ok, f, re, el}')
  attempted=$CALLS
  lost=$((attempted - ok))
  json=$(awk -v rate="$RATE" -v att="$attempted" -v cr="$created" -v ok="$ok" -v f="$failed" -v lost="$lost" \
      -v re="$retrans" -v el="$elapsed" -v sc="$sipp_cpu" -v pk="$peak" -v tc="$tgt_cpu" -v rc="$rc" -v inst="$INSTANCES" -v hp="$host_pct" -v ib="$idle_busy" 'BEGIN{
    pct = att>0 ? lost*100/att : 100; ach = el>0 ? ok/el : 0;
    sus = (pct < 0.1 && ach >= 0.95*rate) ? "true" : "false";
    printf "{\"rate\":%d,\"attempted\":%d,\"created\":%d,\"successful\":%d,\"failed\":%d,\"failedSipp\":%d,\"failurePct\":%.3f,\"achievedRate\":%.0f,\"elapsedS\":%.2f,\"retransmissions\":%d,\"sippInstances\":%d,\"sippCpuPct\":%d,\"sippPeakCpuPct\":%d,\"targetCpuPct\":%d,\"hostCpuPct\":%d,\"hostBusyBeforePct\":%d,\"sippExit\":%d,\"sustained\":%s}",
      rate, att, cr, ok, lost, f, pct, ach, el, re, inst, sc, pk, tc, hp, ib, rc, sus}')
  log "  $json"
  STEPS_JSON+=("$json")
  sleep "$PAUSE"
done

steps=$(IFS=,; echo "${STEPS_JSON[*]}")
node -e '
  const [mode, target, transport, duration, steps] = process.argv.slice(1);
  const s = JSON.parse(steps);
  const ok = s.filter((x) => x.sustained);
  const best = ok.length ? Math.max(...ok.map((x) => x.rate)) : null;
  const bestAchieved = ok.length ? Math.max(...ok.map((x) => x.achievedRate)) : null;
  console.log(JSON.stringify({
    target: mode, address: target, date: new Date().toISOString(),
    machine: { cpus: require("os").cpus().length, model: require("os").cpus()[0].model },
    sipp: { transport, durationPerStepS: Number(duration) },
    criterion: "failurePct < 0.1 and achievedRate >= 95% of offered",
    steps: s,
    sustainedRate: best, sustainedAchievedRate: bestAchieved,
  }, null, 2));
' "$MODE" "$TARGET" "$TRANSPORT" "$DURATION" "[$steps]"
