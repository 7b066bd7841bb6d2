#!/usr/bin/env bash
# The oldest AWS SDK for Java versions the adapters support, checked with real clients: for SDK v1
# (MIN_SDK_V1) and SDK v2 (MIN_SDK_V2) this resolves that SDK's STS client from Maven Central
# (examples/min-sdk/*.pom.in), compiles a one-call program against it and the built jar, and runs
# it against the local AWS simulator: freshcreds' provider gets credentials from the simulator's
# IMDS and the client signs GetCallerIdentity, which the simulator verifies; then the simulator
# revokes the key (STS answers ExpiredToken for it) and the next call must succeed, retried once
# with new credentials; the simulator's count of calls rejected as revoked must have grown (else
# the revocation did not apply and the retry was never tested). The newest versions are covered
# by the Java tests (built against them).
#
# Usage: scripts/check-min-sdks.sh      (after the jar is built: gradle :java:jar)
set -euo pipefail
FC_NAME=check-min-sdks
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."

# SDK v2 before 2.21 has no identity SPI, which the v2 adapter implements. Said once, in
# java/build.gradle (the Java tests run the global hooks on it too).
MIN_SDK_V2="$(sed -n "s/^def awsSdkV2OldestVersion = '\(.*\)'$/\1/p" java/build.gradle)"
[ -n "$MIN_SDK_V2" ] || fc_die "cannot read awsSdkV2OldestVersion from java/build.gradle"
# The oldest 1.12.x that resolves from Maven Central here; the v1 adapter uses nothing newer.
MIN_SDK_V1=1.12.100

jar="$(find java/build/libs -maxdepth 1 -name 'freshcreds-*.jar' ! -name '*-sources.jar' ! -name '*-javadoc.jar' ! -name '*-global.jar' 2>/dev/null | head -1)"
[ -f "$jar" ] || { echo "check-min-sdks: no jar (gradle :java:jar builds it)" >&2; exit 1; }
# shellcheck source=scripts/simulator.sh
source scripts/simulator.sh
start_simulator check-min-sdks

check() { # sdk (v1|v2), version, program
  local dir="$work/$1"
  mkdir -p "$dir"
  sed "s/VERSION/$2/g" "examples/min-sdk/sdk-$1.pom.in" >"$dir/pom.xml"
  mvn -B -ntp -q -Dstyle.color=never -f "$dir/pom.xml" dependency:copy-dependencies -DoutputDirectory="$dir/deps"
  local cp
  cp="$jar:$(find "$dir/deps" -name '*.jar' -printf '%p:')"
  javac -nowarn -d "$dir/classes" -cp "$cp" "examples/min-sdk/$3.java"
  local out revoked_before revoked_after
  revoked_before="$(sim_count sts_revoked)"
  out="$(java -Daws.java.v1.disableDeprecationAnnouncement=true -cp "$cp:$dir/classes" "$3" "$url" 2>"$dir/err")" || true
  revoked_after="$(sim_count sts_revoked)"
  if ! grep -q '^ok arn:aws:sts::.*the call after a revocation: ok$' <<<"$out"; then
    echo "check-min-sdks: FAIL: SDK $1 $2: ${out}" >&2
    cat "$dir/err" >&2
    return 1
  fi
  if [ "$revoked_after" -le "$revoked_before" ]; then
    echo "check-min-sdks: FAIL: SDK $1 $2: the revocation did not apply: the simulator rejected no call as revoked (sts_revoked stayed $revoked_after), so the retry was not tested" >&2
    return 1
  fi
  echo "check-min-sdks: ok: SDK $1 $2 signs with freshcreds' credentials, and a call rejected after a revocation ($((revoked_after - revoked_before)) rejected as revoked) succeeds on its retry (${out#ok })"
}
check v1 "$MIN_SDK_V1" SdkV1Call
check v2 "$MIN_SDK_V2" SdkV2Call
