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
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--publish" ]; then
  gradle --no-daemon --console=plain -q :java:publishToMavenLocal
fi

read -r -a mvn_flags <<< "${MVN_FLAGS:--B -ntp -q -Dstyle.color=never}"
mvn "${mvn_flags[@]}" -f examples/maven/pom.xml package

cargo build -q -p freshcreds-sim
work="$(mktemp -d)"
sim_pid=""
cleanup() {
  [ -z "$sim_pid" ] || kill "$sim_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
target/debug/freshcreds-sim --port 0 --port-file "$work/port" >"$work/sim.out" 2>"$work/sim.err" &
sim_pid=$!
# The simulator writes the port file once it listens (a few milliseconds; at most 10 s here).
for _ in $(seq 1 100); do
  [ -s "$work/port" ] && break
  kill -0 "$sim_pid" 2>/dev/null || { cat "$work/sim.err" >&2; echo "maven-example: the simulator exited" >&2; exit 1; }
  sleep 0.1
done
[ -s "$work/port" ] || { echo "maven-example: the simulator did not start within 10 s" >&2; exit 1; }
url="http://127.0.0.1:$(cat "$work/port")"

out="$(java -Dfreshcreds.source=imds -Dfreshcreds.imdsEndpoint="$url" \
  -jar examples/maven/target/freshcreds-maven-example.jar "$url/")"
echo "$out"
# The simulator's STS answers with the assumed role of the IMDS credentials it minted.
grep -q '^caller: arn:aws:sts::.*:assumed-role/' <<< "$out" || { echo "maven-example: no assumed-role caller in the output" >&2; exit 1; }
grep -q 'from freshcreds source Ec2InstanceMetadata' <<< "$out" || { echo "maven-example: the credentials did not come from IMDS through freshcreds" >&2; exit 1; }
echo "maven-example: passed"
