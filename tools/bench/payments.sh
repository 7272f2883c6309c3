#!/usr/bin/env bash
# Government payments figures on the release daemon, all measured in one run:
# - export: a sector-wide export of PAYMENTS rows (default 1,000,000) streamed by
#   `etimad-probe export` (the Swift client library, release build) to a file on the agency
#   port: rows/s (target >= 300k rows/s) and the server's peak RSS growth during the export
#   (VmHWM after minus VmRSS before, with VmHWM reset through /proc/PID/clear_refs; target
#   <= 32 MiB). Two exports run: CSV then JSON Lines.
# - search: SearchPayments (a demo account's first page of 50, ~100 payments per
#   beneficiary) next to Health/Check, both driven by etimad-probe bench at 16 concurrent
#   (target p99 <= 5 ms).
# The data: `etimadd demo`, then `etimadd payments bench-seed` writes PAYMENTS payments in one
# sector (PASSPORTS) for BENEFICIARIES beneficiaries (default 10,000; the demo persons first)
# in 50k-row transactions.
#
#   tools/bench/payments.sh                       # builds the release daemon and probe first
#   SKIP_BUILD=1 PAYMENTS=200000 N=5000 tools/bench/payments.sh
#
# Everything runs on 127.0.0.1 and stops when the script exits. Needs python3 with grpcio and
# grpcio-tools (for the sign-in helper tools/bench/login_pairs.py).
set -euo pipefail
source "$(dirname "$0")/common.sh" payments
PAYMENTS=${PAYMENTS:-1000000}
BENEFICIARIES=${BENEFICIARIES:-10000}
N=${N:-20000}

export ETIMAD_PASSWORD_HASH_LOG_N=10
"$ETIMADD" demo --data-dir "$tmp/data" --accounts 1 >"$tmp/demo.out"
id=$(sed -n 's/^accounts (password Etimad2026): //p' "$tmp/demo.out" | tr -d ' ')
echo "seeding $PAYMENTS payments for $BENEFICIARIES beneficiaries:"
"$ETIMADD" payments bench-seed --data-dir "$tmp/data" --payments "$PAYMENTS" --beneficiaries "$BENEFICIARIES" \
  --sector PASSPORTS 2>/dev/null
echo "database: $(du -h "$tmp/data/etimad.sqlite" | cut -f1)"

serve
echo "daemon pid $daemon at public=$public agency=$agency (release)"

kib() { sed -n "s/^$1:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$daemon/status"; }
ca=$tmp/data/tls/ca.pem
certs=(--tls-client-cert "$tmp/data/agencies/MOI-PASSPORTS.pem" --tls-client-key "$tmp/data/agencies/MOI-PASSPORTS-key.pem")
echo
echo "sector-wide export of $PAYMENTS rows over the agency port (client: etimad-probe export, Swift, release):"
for format in csv jsonl; do
  before=$(kib VmRSS)
  echo 5 >"/proc/$daemon/clear_refs"
  result=$("$PROBE" export --addr "localhost:${agency##*:}" --tls-ca-cert "$ca" "${certs[@]}" --employee bench \
    --sector PASSPORTS --file-format "$format" -o "$tmp/export.$format" --quiet --format json)
  peak=$(kib VmHWM)
  after=$(kib VmRSS)
  python3 - "$result" "$before" "$peak" "$after" "$format" "$(stat -c %s "$tmp/export.$format")" <<'PY'
import json, sys
r = json.loads(sys.argv[1]); before, peak, after = (int(x) for x in sys.argv[2:5])
print(f"  {sys.argv[5]:5} {r['rows']} rows in {r['seconds']} s = {r['rows_per_second']:,} rows/s (target >= 300,000);"
      f" file {int(sys.argv[6]) / 1048576:.0f} MiB")
print(f"        server RSS before {before / 1024:.1f} MiB, peak {peak / 1024:.1f} MiB, after {after / 1024:.1f} MiB:"
      f" peak growth {(peak - before) / 1024:.1f} MiB (target <= 32 MiB)")
PY
  rm -f "$tmp/export.$format"
done

token=$(python3 tools/bench/login_pairs.py --addr "localhost:${public##*:}" --data-dir "$tmp/data" --ids "$id" \
  --password Etimad2026 --token-only)
probe=("$PROBE" bench --addr "localhost:${public##*:}" --tls-ca-cert "$ca" -n "$N" -c 16 --format json)
echo
echo "etimad-probe bench, 16 concurrent, $N calls each (account $id):"
health=$("${probe[@]}" grpc.health.v1.Health/Check)
search=$("${probe[@]}" etimad.payments.v1.GovernmentPaymentService/SearchPayments -d '{"pageSize": 50}' \
  -H "authorization: Bearer $token")
filtered=$("${probe[@]}" etimad.payments.v1.GovernmentPaymentService/SearchPayments \
  -d '{"pageSize": 20, "filter": {"serviceCode": "IQAMA_RENEWAL"}}' -H "authorization: Bearer $token")
python3 - "$health" "$search" "$filtered" <<'PY'
import json, sys
for name, raw in zip(("Health/Check", "SearchPayments", "Search+filter"), sys.argv[1:]):
    r = json.loads(raw)
    print(f"  {name:15} {r['rps']:8.0f} calls/s  p50 {r['p50_ms']:.3f} ms  p99 {r['p99_ms']:.3f} ms  errors {r['errors']}")
print("  target: SearchPayments p99 <= 5 ms")
PY

# The same searches with the grpc-go load client: closed loop at 16 concurrent, then open loop
# at RATE calls/s (at most 16 in flight), where p99 is the latency a caller sees at that load.
RATE=${RATE:-1000}
echo
echo "grpc-go loadgen, 16 concurrent, $N calls each; then open loop at $RATE calls/s for 8 s:"
common=(-addr "127.0.0.1:${public##*:}" -ca "$ca" -n "$N" -c 16)
first=(-method /etimad.payments.v1.GovernmentPaymentService/SearchPayments -H "authorization: Bearer $token"
  -data-hex "$(python3 tools/bench/proto_hex.py etimad.payments.v1.SearchPaymentsRequest '{"pageSize": 50}')")
lg_versus "SearchPayments" "${first[@]}"
echo "  target: SearchPayments p99 <= 5 ms"
