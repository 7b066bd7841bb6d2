#!/usr/bin/env bash
# Runs freshcreds' cargo-fuzz targets (fuzz/, nightly, libFuzzer with AddressSanitizer), each for
# a bounded time, starting from the committed seeds (fuzz/seeds/<target>) and the corpus grown by
# earlier runs (fuzz/corpus/<target>, not committed). Prints executions, coverage and corpus size
# per target, and fails if any target crashed (the input is kept in fuzz/artifacts/<target>/).
#
#   bash scripts/fuzz.sh                  # every target, FUZZ_SECONDS (default 60) each
#   bash scripts/fuzz.sh 600 sts_xml      # one target for 10 minutes
#   FUZZ_JOBS=1 bash scripts/fuzz.sh      # one target at a time (default: one per core)
#
# CI runs every target for 30 s (scripts/test.sh). Needs scripts/setup.sh (nightly, cargo-fuzz).
set -euo pipefail
FC_NAME=fuzz
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."

seconds="${1:-${FUZZ_SECONDS:-60}}"
shift || true
mapfile -t targets < <(if [ $# -gt 0 ]; then printf '%s\n' "$@"; else cd fuzz && cargo +nightly fuzz list; fi)

cd fuzz
echo "==> building the fuzz targets (nightly, AddressSanitizer)"
nice -n 10 cargo +nightly fuzz build -O
jobs="${FUZZ_JOBS:-$(nproc)}"
[ "$jobs" -ge 1 ] || jobs=1
logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT

# One target: its libFuzzer output in $logs/<target>.log, its exit status in $logs/<target>.rc.
fuzz_one() { # target
  local t="$1" rc=0
  mkdir -p "corpus/$t"
  echo "==> fuzz $t for ${seconds}s"
  # -rss_limit_mb: a parser that balloons on some input is a finding too.
  nice -n 10 cargo +nightly fuzz run -O "$t" "corpus/$t" "seeds/$t" -- \
    -max_total_time="$seconds" -rss_limit_mb=1024 -print_final_stats=1 >"$logs/$t.log" 2>&1 || rc=$?
  echo "$rc" >"$logs/$t.rc"
}

# libFuzzer uses one core per target: run up to FUZZ_JOBS targets at once (default: every core).
running=0
for t in "${targets[@]}"; do
  if [ "$running" -ge "$jobs" ]; then wait -n || true; running=$((running - 1)); fi
  fuzz_one "$t" &
  running=$((running + 1))
done
wait

summary=()
failed=()
for t in "${targets[@]}"; do
  log="$logs/$t.log"
  if [ "$(cat "$logs/$t.rc" 2>/dev/null || echo missing)" = 0 ]; then
    status=ok
  else
    status=CRASH
    failed+=("$t")
    tail -40 "$log" || true
  fi
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  speed="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)"
  last="$(grep -E '^#[0-9]+' "$log" | tail -1 || true)"
  cov="$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")"
  ft="$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")"
  corpus="$(find "corpus/$t" -type f | wc -l)"
  summary+=("$(printf '%-22s %-6s %6ss %12s execs %8s/s  cov %5s  ft %6s  corpus %5s' \
    "$t" "$status" "$seconds" "${execs:-?}" "${speed:-?}" "${cov:-?}" "${ft:-?}" "$corpus")")
done

echo
echo "fuzz summary (${seconds}s per target):"
printf '  %s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "crashed: ${failed[*]} (inputs in fuzz/artifacts/; reproduce with: cd fuzz && cargo +nightly fuzz run <target> <file>)" >&2
  exit 1
fi
