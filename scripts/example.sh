#!/usr/bin/env bash
# Runs the Gradle example on a fresh machine: installs what is missing, builds freshcreds and the
# local AWS simulator, and runs a Java app whose SDK v1 and v2 STS clients call the (simulated)
# signed API from several threads for about 4 minutes while 60-second credentials rotate.
# Extra arguments go to the example, e.g. `--compare`, `--duration 300`, or `--faults` (random IMDS
# faults for 150 s across 5 rotations of 30-second credentials; fails on any failed call or when
# IMDS got more credential requests than the bound it prints).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
gradle --no-daemon --console=plain -q :examples:runExample -Pargs="${*:-}"
