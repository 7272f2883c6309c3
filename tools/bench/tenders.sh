#!/usr/bin/env bash
# Tender search figures on the release daemon over a realistic corpus:
# - seeds N_TENDERS (default 100k) generated tenders (Arabic and English titles built from the
#   activity vocabularies) with `etimadd tenders seed`, which prints the FTS5 index build time;
# - then SearchTenders p50/p99 and calls/s at 16 concurrent (etimad-probe bench) for a
#   single-word query, a multi-word query, a filtered query and a filter-only browse, next
#   to Health/Check measured the same way in the same run. Target: SearchTenders p99 <= 3 ms.
#
#   tools/bench/tenders.sh                    # builds the release daemon and probe first
#   SKIP_BUILD=1 N=5000 N_TENDERS=100000 tools/bench/tenders.sh
#
# Everything runs on 127.0.0.1 and stops when the script exits.
set -euo pipefail
source "$(dirname "$0")/common.sh" tenders
N=${N:-5000}
N_TENDERS=${N_TENDERS:-100000}
CONCURRENCY=${CONCURRENCY:-16}

export ETIMAD_PASSWORD_HASH_LOG_N=10
"$ETIMADD" demo --data-dir "$tmp/data" --accounts 0 >"$tmp/demo.out"
echo "seeding $N_TENDERS tenders:"
"$ETIMADD" tenders seed --data-dir "$tmp/data" --count "$N_TENDERS" | sed 's/^/  /'
echo "  database: $(du -h "$tmp/data/etimad.sqlite" | cut -f1)"
serve
addr=$public
port=${addr##*:}
echo "daemon at $addr (release); etimad-probe bench, $CONCURRENCY concurrent, $N calls each, anonymous:"

probe=("$PROBE" bench --addr "localhost:$port" --tls-ca-cert "$tmp/data/tls/ca.pem" -n "$N" -c "$CONCURRENCY"
  --format json)
search=etimad.tenders.v1.TenderService/SearchTenders
declare -a names results
run() {
  names+=("$1")
  results+=("$("${probe[@]}" "${@:2}")")
}
run "Health/Check" grpc.health.v1.Health/Check
run "single word" "$search" -d '{"query":"صيانة"}'
run "multi-word" "$search" -d '{"query":"صيانة أنظمة التكييف"}'
run "rare words" "$search" -d '{"query":"غسيل كلوي"}'
run "English prefix" "$search" -d '{"query":"supply of comp"}'
run "filtered text" "$search" -d '{"query":"توريد","mainActivityCode":"medical","regionCodes":["riyadh","makkah"],"category":"TENDER_CATEGORY_ACTIVE","bookletPrice":{"max":{"amountHalalas":"100000"}}}'
run "filters, by date" "$search" -d '{"typeCode":"general_tender","regionCodes":["eastern"],"category":"TENDER_CATEGORY_ACTIVE"}'
run "browse newest" "$search" -d '{}'
python3 - "${names[@]}" -- "${results[@]}" <<'PY'
import json, sys
args = sys.argv[1:]
split = args.index("--")
names, results = args[:split], [json.loads(r) for r in args[split + 1:]]
health = results[0]
for name, r in zip(names, results):
    ratio = r["rps"] / health["rps"]
    print(f"  {name:17} {r['rps']:8.0f} calls/s ({ratio:4.2f}x health)  p50 {r['p50_ms']:7.3f} ms"
          f"  p99 {r['p99_ms']:7.3f} ms  errors {r['errors']}")
worst = max(r["p99_ms"] for r in results[1:])
print(f"  worst SearchTenders p99 {worst:.3f} ms (target <= 3 ms)")
PY

# The same queries with the grpc-go load client: closed loop at CONCURRENCY, then open loop at
# RATE calls/s (at most CONCURRENCY in flight), where p99 is the latency a caller sees at that load.
RATE=${RATE:-200}
echo
echo "grpc-go loadgen, $CONCURRENCY concurrent, $N calls each; then open loop at $RATE calls/s for 8 s:"
common=(-addr "127.0.0.1:$port" -ca "$tmp/data/tls/ca.pem" -n "$N" -c "$CONCURRENCY")
hex() { python3 tools/bench/proto_hex.py etimad.tenders.v1.SearchTendersRequest "$1"; }
declare -A request=(
  ["single word"]=$(hex '{"query":"صيانة"}')
  ["multi-word"]=$(hex '{"query":"صيانة أنظمة التكييف"}')
  ["English prefix"]=$(hex '{"query":"supply of comp"}')
  ["filtered text"]=$(hex '{"query":"توريد","mainActivityCode":"medical","regionCodes":["riyadh","makkah"],"category":"TENDER_CATEGORY_ACTIVE","bookletPrice":{"max":{"amountHalalas":"100000"}}}')
  ["browse newest"]=""
)
order=("single word" "multi-word" "English prefix" "filtered text" "browse newest")
for mode in closed open; do
  extra=()
  [[ $mode == open ]] && extra=(-rate "$RATE" -n $((RATE * 8)))
  lg "Health/Check" "${common[@]}" "${extra[@]}"
  for name in "${order[@]}"; do
    lg "$name" "${common[@]}" "${extra[@]}" -method /$search -data-hex "${request[$name]}"
  done
done
lg_table
echo "  target: SearchTenders p99 <= 3 ms"
