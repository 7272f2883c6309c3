#!/usr/bin/env bash
# Debts figures on the release daemon, with 100k debts over 10k debtors in the database:
# - GetDebt by its owner (bearer token) next to Health/Check, both driven by etimad-probe bench
#   at 64 concurrent in the same run; target GetDebt >= 0.7x Health/Check and p99 <= 5 ms;
#   WhoAmI with the same token shows what the per-call token check alone costs;
# - RecordPayment at 64 concurrent on the agency port (mutual TLS), every call a distinct SADAD
#   payment (fresh request_id and reference: a real write transaction with synchronous=FULL),
#   next to the plain single-row SQLite commit rate (WAL, synchronous=FULL) measured on the
#   same file system by this script;
# - the group commit A/B: the same RecordPayment load on a daemon with group_commit off, then
#   on, each run under `strace -f --seccomp-bpf -c -e trace=fsync,fdatasync` (only those calls
#   stop the daemon) to count fsyncs per acknowledged write, with the median batch size from
#   the metrics endpoint; then each open loop at AB_RATE calls/s (p99 with queueing).
#   Targets: on >= 3x off, on >= 0.6x GetDebt calls/s.
#
#   tools/bench/debts.sh                       # builds the release daemon and probe first
#   SKIP_BUILD=1 N=20000 PAYMENTS=5000 tools/bench/debts.sh
#
# Everything runs on 127.0.0.1 and stops when the script exits.
set -euo pipefail
source "$(dirname "$0")/common.sh" debts
N=${N:-20000}
PAYMENTS=${PAYMENTS:-5000}
DEBTS=${DEBTS:-100000}
DEBTORS=${DEBTORS:-10000}

export ETIMAD_PASSWORD_HASH_LOG_N=10
"$ETIMADD" demo --data-dir "$tmp/data" --accounts 2 >"$tmp/demo.out"
owner=$(sed -n 's/^accounts (password Etimad2026): //p' "$tmp/demo.out" | tr -d ' ' | cut -d, -f1)
"$ETIMADD" debts seed-bench --data-dir "$tmp/data" --owner "$owner" --debts "$DEBTS" --debtors "$DEBTORS" \
  >"$tmp/seed.out"
cat "$tmp/seed.out" | head -1
debt=$(sed -n 's/^owner [0-9]* debts: \([0-9]*\).*/\1/p' "$tmp/seed.out")
first=$(sqlite3 "$tmp/data/etimad.sqlite" "SELECT MIN(id) FROM debts WHERE created_by = 'bench'" 2>/dev/null ||
  python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"SELECT MIN(id) FROM debts WHERE created_by = 'bench'\").fetchone()[0])" "$tmp/data/etimad.sqlite")

cp "$tmp/data/etimad.sqlite" "$tmp/reference.sqlite"
serve
echo "daemon (release) public ${public}, agency ${agency}; GetDebt of debt $debt by its owner $owner"

token=$(python3 tools/bench/login_pairs.py --addr "localhost:${public##*:}" --data-dir "$tmp/data" --ids "$owner" \
  --password Etimad2026 --token-only)
probe=("$PROBE" bench --addr "localhost:${public##*:}" --tls-ca-cert "$tmp/data/tls/ca.pem" -n "$N" -c 64
  --format json)
echo
echo "etimad-probe bench, 64 concurrent, $N calls each:"
health=$("${probe[@]}" grpc.health.v1.Health/Check)
getdebt_probe=$("${probe[@]}" etimad.debts.v1.DebtService/GetDebt -d "{\"debtId\": \"$debt\"}" \
  -H "authorization: Bearer $token")
whoami=$("${probe[@]}" etimad.identity.v1.IdentityService/WhoAmI -H "authorization: Bearer $token")
health2=$("${probe[@]}" grpc.health.v1.Health/Check)

echo
echo "RecordPayment, 64 concurrent, $PAYMENTS distinct payments over 1000 debts:"
payments=$("$PROBE" debts-pay-bench --addr "localhost:${agency##*:}" --tls-ca-cert "$tmp/data/tls/ca.pem" \
  --tls-client-cert "$tmp/data/agencies/MOF.pem" --tls-client-key "$tmp/data/agencies/MOF-key.pem" \
  -H "x-etimad-employee: bench" --first-debt "$first" --debt-count 1000 -n "$PAYMENTS" -c 64 --format json)
commit_rate() {
  python3 - "$1" "$PAYMENTS" <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA synchronous=FULL")
db.execute("CREATE TABLE IF NOT EXISTS bench_commit (id INTEGER PRIMARY KEY, v INTEGER NOT NULL)")
n = int(sys.argv[2])
start = time.perf_counter()
for i in range(n):
    db.execute("BEGIN IMMEDIATE")
    db.execute("INSERT INTO bench_commit (v) VALUES (?)", (i,))
    db.execute("COMMIT")
print(n / (time.perf_counter() - start))
PY
}
# The reference: single-row commits into a copy of the daemon's seeded database (same size, same
# file system), and into a fresh empty file (fsync of a tiny file is often much cheaper).
commits=$(commit_rate "$tmp/reference.sqlite")
fresh=$(commit_rate "$tmp/fresh.sqlite")
python3 - "$health" "$getdebt_probe" "$whoami" "$health2" "$payments" "$commits" "$fresh" <<'PY'
import json, sys
h, g, w, h2, p = (json.loads(a) for a in sys.argv[1:6])
commits, fresh = float(sys.argv[6]), float(sys.argv[7])
for name, r in (("Health/Check", h), ("GetDebt (owner)", g), ("WhoAmI (token)", w), ("Health/Check", h2),
                ("RecordPayment", p)):
    print(f"{name:16} {r['rps']:9.0f} calls/s  p50 {r['p50_ms']:.3f} ms  p99 {r['p99_ms']:.3f} ms  errors {r['errors']}")
print(f"{'SQLite commits':16} {commits:9.0f} commits/s (copy of the seeded database; one writer, single-row"
      " transactions, WAL, synchronous=FULL)")
print(f"{'SQLite commits':16} {fresh:9.0f} commits/s (same, into a fresh empty file)")
health = (h['rps'] + h2['rps']) / 2
print(f"GetDebt / Health         {g['rps'] / health:.2f}x (target >= 0.70x), p99 {g['p99_ms']:.2f} ms (target <= 5 ms)")
print(f"WhoAmI / Health          {w['rps'] / health:.2f}x (the token check alone, for reference)")
print(f"RecordPayment / commits  {p['rps'] / commits:.2f}x")
PY

# The same reads with the grpc-go load client: closed loop at 64 concurrent, then open loop at
# RATE calls/s (at most 64 in flight), where p99 is the latency a caller sees at that load.
RATE=${RATE:-2000}
echo
echo "grpc-go loadgen, 64 concurrent, $N calls each; then open loop at $RATE calls/s for 8 s:"
common=(-addr "127.0.0.1:${public##*:}" -ca "$tmp/data/tls/ca.pem" -n "$N" -c 64)
getdebt=(-method /etimad.debts.v1.DebtService/GetDebt -H "authorization: Bearer $token"
  -data-hex "$(python3 tools/bench/proto_hex.py etimad.debts.v1.GetDebtRequest "{\"debtId\": \"$debt\"}")")
lg_versus "GetDebt (owner)" "${getdebt[@]}"
echo "  targets: GetDebt >= 0.70x Health/Check calls/s, p99 <= 5 ms"

# The group commit A/B (see the top of this file).
AB_RATE=${AB_RATE:-1000}
getdebt_rps=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["rps"])' "$getdebt_probe")
ab_results=()
for mode in off on; do
  stop
  ETIMAD_GROUP_COMMIT=$mode SERVE_WRAPPER=(strace -f --seccomp-bpf -c -e trace=fsync,fdatasync -o "$tmp/strace.$mode")
  export ETIMAD_GROUP_COMMIT
  serve
  SERVE_WRAPPER=()
  unset ETIMAD_GROUP_COMMIT
  pay=("$PROBE" debts-pay-bench --addr "localhost:${agency##*:}" --tls-ca-cert "$tmp/data/tls/ca.pem"
    --tls-client-cert "$tmp/data/agencies/MOF.pem" --tls-client-key "$tmp/data/agencies/MOF-key.pem"
    -H "x-etimad-employee: bench" --first-debt "$first" --debt-count 1000 --format json)
  closed=$("${pay[@]}" -n "$PAYMENTS" -c 64)
  opened=$("${pay[@]}" -n $((AB_RATE * 8)) -c 64 --rate "$AB_RATE")
  median=$(metric etimad_db_commit_batch_median)
  commits=$(metric etimad_db_commits)
  writes=$(metric etimad_db_committed_writes)
  stop
  fsyncs=$(awk '$NF == "total" { print $4 }' "$tmp/strace.$mode")
  ab_results+=("$closed" "$opened" "${median:-0}" "${commits:-0}" "${writes:-0}" "${fsyncs:-0}")
done
echo
echo "Group commit A/B: RecordPayment, 64 concurrent, $PAYMENTS payments; then open loop at $AB_RATE calls/s for 8 s:"
python3 - "$getdebt_rps" "$PAYMENTS" "$AB_RATE" "${ab_results[@]}" <<'PY'
import json, sys
getdebt, payments, rate = float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rows = {}
for i, mode in enumerate(("off", "on")):
    c, o, median, commits, writes, fsyncs = sys.argv[4 + 6 * i: 10 + 6 * i]
    c, o = json.loads(c), json.loads(o)
    # Both runs' calls, and their 200-call warm-ups, which write too
    acked = c["calls"] - sum(c["errors"].values()) + o["calls"] - sum(o["errors"].values()) + 400
    rows[mode] = c
    batch = f"median batch {median}, {int(writes) / max(int(commits), 1):.1f} writes/commit" if mode == "on" else "one commit per write"
    print(f"  group commit {mode:3}  {c['rps']:8.0f} calls/s ({c['rps'] / getdebt:.2f}x GetDebt)  p99 {c['p99_ms']:7.2f} ms"
          f"  errors {sum(c['errors'].values())}  | open loop {rate}/s: p50 {o['p50_ms']:.2f} ms p99 {o['p99_ms']:.2f} ms"
          f" errors {sum(o['errors'].values())}  | {int(fsyncs) / max(acked, 1):.2f} fsync/write  ({batch})")
print(f"  on / off {rows['on']['rps'] / rows['off']['rps']:.2f}x (target >= 3x); on / GetDebt"
      f" {rows['on']['rps'] / getdebt:.2f}x (target >= 0.6x)")
PY
