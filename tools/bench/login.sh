#!/usr/bin/env bash
# Sign-in figures on the release daemon with production scrypt (log2 N = 15):
# - StartLogin + VerifyLogin pairs per second at 16 concurrent (code read from the file SMS
#   gateway; rate limits raised so that they do not cap the figure), and
# - WhoAmI with a bearer token (a session read on every call, nothing cached) next to
#   Health/Check, both driven by etimad-probe bench at 64 concurrent in the same run; the
#   target is WhoAmI >= 0.8x Health/Check.
#
#   tools/bench/login.sh                      # builds the release daemon and probe first
#   SKIP_BUILD=1 N=20000 SECONDS_LOGIN=20 tools/bench/login.sh
#
# Everything runs on 127.0.0.1 and stops when the script exits.
set -euo pipefail
source "$(dirname "$0")/common.sh" login
N=${N:-20000}
SECONDS_LOGIN=${SECONDS_LOGIN:-20}

export ETIMAD_PASSWORD_HASH_LOG_N=15 ETIMAD_SIGN_IN_RATE_PER_PEER=1000000 ETIMAD_SIGN_IN_RATE_PER_ID=1000000
"$ETIMADD" demo --data-dir "$tmp/data" --accounts 16 >"$tmp/demo.out"
ids=$(sed -n 's/^accounts (password Etimad2026): //p' "$tmp/demo.out" | tr -d ' ')
serve
addr=$public
port=${addr##*:}
echo "daemon at $addr (release, scrypt log2 N = 15); accounts: $ids"

echo
echo "StartLogin + VerifyLogin pairs, 16 concurrent, ${SECONDS_LOGIN}s:"
python3 tools/bench/login_pairs.py --addr "localhost:$port" --data-dir "$tmp/data" --ids "$ids" \
  --password Etimad2026 --concurrency 16 --seconds "$SECONDS_LOGIN"

token=$(python3 tools/bench/login_pairs.py --addr "localhost:$port" --data-dir "$tmp/data" --ids "${ids%%,*}" \
  --password Etimad2026 --token-only)
probe=("$PROBE" bench --addr "localhost:$port" --tls-ca-cert "$tmp/data/tls/ca.pem" -n "$N" -c 64 --format json)
echo
echo "etimad-probe bench, 64 concurrent, $N calls each:"
health=$("${probe[@]}" grpc.health.v1.Health/Check)
whoami=$("${probe[@]}" etimad.identity.v1.IdentityService/WhoAmI -H "authorization: Bearer $token")
python3 - "$health" "$whoami" <<'PY'
import json, sys
h, w = json.loads(sys.argv[1]), json.loads(sys.argv[2])
for name, r in (("Health/Check", h), ("WhoAmI (token)", w)):
    print(f"{name:16} {r['rps']:9.0f} calls/s  p50 {r['p50_ms']:.3f} ms  p99 {r['p99_ms']:.3f} ms  errors {r['errors']}")
print(f"WhoAmI / Health  {w['rps'] / h['rps']:.2f}x (target >= 0.80x)")
PY

# The same comparison with the grpc-go load client (less client CPU on the shared cores, so
# the server's own cost per call shows more plainly).
echo
echo "grpc-go loadgen, 64 concurrent, $N calls each:"
common=(-addr "127.0.0.1:$port" -ca "$tmp/data/tls/ca.pem" -n "$N" -c 64)
lg "Health/Check" "${common[@]}"
lg "WhoAmI (token)" "${common[@]}" -method /etimad.identity.v1.IdentityService/WhoAmI -H "authorization: Bearer $token"
lg "Health/Check again" "${common[@]}"
lg_table
echo "  target: WhoAmI >= 0.80x Health/Check"
