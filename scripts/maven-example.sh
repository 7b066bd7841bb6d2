#!/usr/bin/env bash
# The Maven consumer (examples/maven): builds it with `mvn package` against the freshcreds
# artifacts in the local Maven repository (gradle publishToMavenLocal puts them there; with
# --publish this script runs that first), then runs it against the local AWS simulator: freshcreds
# gets credentials from the simulator's IMDS, and an SDK v2 STS client makes a SigV4-signed
# GetCallerIdentity call that the simulator verifies. Exits non-zero when any of that fails.
#
# Usage: scripts/maven-example.sh [--publish]
# MVN_FLAGS (default: -B -ntp -q -Dstyle.color=never) are passed to mvn.
set -euo pipefail
FC_NAME=maven-example
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--publish" ]; then
  fc_pick_gradle
  fc_gradle -q -Pnative=all :java:publishToMavenLocal
fi

read -r -a mvn_flags <<< "${MVN_FLAGS:--B -ntp -q -Dstyle.color=never}"
mvn "${mvn_flags[@]}" -f examples/maven/pom.xml package

# shellcheck source=scripts/simulator.sh
source scripts/simulator.sh
start_simulator maven-example

out="$(java -Dfreshcreds.source=imds -Dfreshcreds.imdsEndpoint="$url" \
  -jar examples/maven/target/freshcreds-maven-example.jar "$url/")"
echo "$out"
# The simulator's STS answers with the assumed role of the IMDS credentials it minted.
grep -q '^caller: arn:aws:sts::.*:assumed-role/' <<< "$out" || { echo "maven-example: no assumed-role caller in the output" >&2; exit 1; }
grep -q 'from freshcreds source Ec2InstanceMetadata' <<< "$out" || { echo "maven-example: the credentials did not come from IMDS through freshcreds" >&2; exit 1; }
echo "maven-example: passed"
