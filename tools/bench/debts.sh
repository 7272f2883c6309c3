#!/usr/bin/env bash
# Debts figures on the release daemon, with 100k debts over 10k debtors in the database:
# - GetDebt by its owner (bearer token) next to Health/Check, both driven by etimad-probe bench
#   at 64 concurrent in the same run; target GetDebt >= 0.7x Health/Check and p99 <= 5 ms;
#   WhoAmI with the same token shows what the per-call token check alone costs;
# - RecordPayment at 64 concurrent on the agency port (mutual TLS), every call a distinct SADAD
#   payment (fresh request_id and reference: a real write transaction with synchronous=FULL),
#   next to the plain single-row SQLite commit rate (WAL, synchronous=FULL) measured on the
#   same file system by this script.
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
getdebt=$("${probe[@]}" etimad.debts.v1.DebtService/GetDebt -d "{\"debtId\": \"$debt\"}" \
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
python3 - "$health" "$getdebt" "$whoami" "$health2" "$payments" "$commits" "$fresh" <<'PY'
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
