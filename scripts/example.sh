#!/usr/bin/env bash
# The main job, on a fresh machine that has a JDK and a Rust toolchain (nothing else is needed):
# builds freshcreds' native library for this machine and the local AWS simulator, then runs a Java
# app whose SDK v1 and v2 STS clients call the (simulated) signed API from several threads for
# about 3.5 minutes while 60-second credentials rotate. Gradle is the wrapper's (./gradlew), else
# the one on PATH (FRESHCREDS_GRADLE chooses another).
# Extra arguments go to the example, e.g. `--compare`, `--duration 150`, `--revoke` (the live key
# is revoked mid-run), or `--faults` (random IMDS faults for 150 s across 5 rotations of 30-second
# credentials; fails on any failed call or when IMDS got more credential requests than the bound
# it prints).
set -euo pipefail
FC_NAME=example
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$FC_ROOT"

fc_require_jdk_and_rust
fc_pick_gradle
fc_log "building the native library (this machine's) and the simulator, then running the example"
fc_gradle -q :examples:runExample -Pargs="${*:-}" ||
  fc_die "the example failed (see above)"
