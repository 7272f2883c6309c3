# Sourced by the benchmarks (`source "$(dirname "$0")/common.sh" NAME`): the release daemon and
# probe ($ETIMADD, $PROBE; built first unless SKIP_BUILD=1), a temporary directory $tmp, and
# cleanup on exit that stops the daemon whose pid the script puts in $daemon and removes $tmp.
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
root=$PWD
ETIMADD=${ETIMADD:-$root/.build/release/etimadd}
PROBE=${PROBE:-$root/.build/release/etimad-probe}
if [[ ${SKIP_BUILD:-} != 1 ]]; then
  swift build -c release --product etimadd
  swift build -c release --product etimad-probe
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/etimad-$1-bench.XXXXXX")
daemon=
cleanup() {
  [[ -n $daemon ]] && kill -TERM "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
