#!/usr/bin/env bash
# Builds pbc-interop: protoc-c generates C for the Etimad messages, cc links them with
# libprotobuf-c. Usage: build.sh OUTDIR  (OUTDIR/gen: generated code, OUTDIR/pbc-interop).
set -euo pipefail

if [[ $# -ne 1 ]]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
protos="$(cd "$here/../../../Protos" && pwd)"
mkdir -p "$1"
out="$(cd "$1" && pwd)"

messages=(
    etimad/type/v1/money.proto
    etimad/type/v1/localized_text.proto
    etimad/type/v1/person_id.proto
    etimad/platform/v1/platform_service.proto
    google/protobuf/timestamp.proto
)

rm -rf "$out/gen"
mkdir -p "$out/gen"
protoc-c --c_out="$out/gen" -I "$protos" -I /usr/include "${messages[@]}"

sources=()
for proto in "${messages[@]}"; do
    sources+=("$out/gen/${proto%.proto}.pb-c.c")
done

"${CC:-cc}" -std=c11 -O2 -g -Wall -Wextra \
    -I "$out/gen" \
    -o "$out/pbc-interop" \
    "$here/interop.c" "${sources[@]}" \
    -lprotobuf-c

echo "built $out/pbc-interop"
