#!/usr/bin/env bash
# Runs every test of freshcreds on a fresh machine: installs what is missing (scripts/setup.sh),
# then the scripts' lint, the fresh-machine check of the example's set-up, the Rust checks and
# tests, a short run of every fuzz target, the Java build and tests through Gradle (the Spring Boot
# starter's too) with the seven native libraries, the artifacts it publishes to the local Maven
# repository, the Maven consumer (examples/maven), and short runs of the Gradle example against
# the bundled simulator (a revocation; random IMDS faults). The Rust and the Java test suites run
# in a network namespace whose only interface is loopback (unshare -n): a test that sends a request
# anywhere else fails. CI runs exactly this (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/setup.sh
source scripts/setup.sh
FC_NAME="test"

# A CI run builds once: incremental compilation's caches (gigabytes) would never be reused.
if [ "${CI:-}" = true ]; then export CARGO_INCREMENTAL=0; fi

step() { printf '\n==> %s\n' "$*"; }

# Maven's repository gets what the tests' Maven-built apps need, so that the tests package them
# offline inside the namespace: the agent's Spring Boot fat jar (Boot's plugin, both SDK versions
# it packages), the agent's WAR (Maven's war plugin), and the starter's fat jar on each Spring
# Boot line (the freshcreds jars it packages are this build's, given by path: empty stand-ins here).
prefetch_boot_apps() {
  local v1 v2 old tmp boot3 boot4
  v1="$(sed -n "s/^def awsSdkV1Version = '\(.*\)'$/\1/p" java/build.gradle)"
  v2="$(sed -n "s/^def awsSdkV2Version = '\(.*\)'$/\1/p" java/build.gradle)"
  old="$(sed -n "s/^def awsSdkV2UnlinkableVersion = '\(.*\)'$/\1/p" java/build.gradle)"
  { [ -n "$v1" ] && [ -n "$v2" ] && [ -n "$old" ]; } || fc_die "cannot read the SDK versions from java/build.gradle"
  boot3="$(sed -n "s/^def springBootVersion = '\(.*\)'$/\1/p" spring-boot/build.gradle)"
  boot4="$(sed -n "s/^def springBoot4Version = '\(.*\)'$/\1/p" spring-boot/build.gradle)"
  { [ -n "$boot3" ] && [ -n "$boot4" ]; } || fc_die "cannot read the Spring Boot versions from spring-boot/build.gradle"
  tmp="$(mktemp -d)"
  cp -r java/src/test/apps/boot-sts "$tmp/"
  for v in "$v2" "$old"; do
    mvn -B -q -Dstyle.color=never -f "$tmp/boot-sts/pom.xml" package \
      -Daws.sdk.v1.version="$v1" -Daws.sdk.v2.version="$v" >/dev/null
  done
  mvn -B -q -Dstyle.color=never -f "$tmp/boot-sts/pom.xml" package \
    -Daws.sdk.v1.version="$v1" -Daws.sdk.v2.version="$v2" -Dspring.boot.version="$boot4" >/dev/null
  cp -r java/src/test/apps/war-sts "$tmp/"
  mvn -B -q -Dstyle.color=never -f "$tmp/war-sts/pom.xml" package -Daws.sdk.v1.version="$v1" -Daws.sdk.v2.version="$v2" >/dev/null
  cp -r spring-boot/src/test/apps/boot-starter "$tmp/"
  mkdir "$tmp/empty"
  jar cf "$tmp/empty.jar" -C "$tmp/empty" .
  for v in "$boot3" "$boot4"; do
    mvn -B -q -Dstyle.color=never -f "$tmp/boot-starter/pom.xml" package -Dspring.boot.version="$v" \
      -Daws.sdk.v2.version="$v2" -Dfreshcreds.jar="$tmp/empty.jar" -Dfreshcreds.starter.jar="$tmp/empty.jar" >/dev/null
  done
  rm -rf "$tmp"
}
total=$SECONDS
# Every test that skips (FRESHCREDS_SKIP) appends its "skipped:" line here; counted at the end.
FRESHCREDS_SKIP_LOG="$(mktemp)"
export FRESHCREDS_SKIP_LOG

step "shellcheck scripts/*.sh .ci/run scripts/git-hooks/*"
shellcheck -x scripts/*.sh .ci/run scripts/git-hooks/*

step "the commit-msg hook refuses a subject over 72 characters and a body without a blank line"
hook_msg=$(mktemp)
printf 'Say what changed\n\nAnd why.\n' >"$hook_msg"
scripts/git-hooks/commit-msg "$hook_msg"
for bad in "$(printf '%073d' 0)" $'Subject\nbody at once'; do
  printf '%s\n' "$bad" >"$hook_msg"
  if scripts/git-hooks/commit-msg "$hook_msg" 2>/dev/null; then
    fc_die "scripts/git-hooks/commit-msg accepted: $bad"
  fi
done
rm -f "$hook_msg"

step "the example's set-up on a fresh machine: a fresh clone, none of the project's tools on PATH (scripts/check-fresh-setup.sh)"
bash scripts/check-fresh-setup.sh

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo doc -D warnings (every public item's docs and links)"
# One crate at a time: the core and the native library are both named `freshcreds`.
for p in freshcreds freshcreds-native freshcreds-cli freshcreds-sim freshcreds-codegen; do
  RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --quiet -p "$p"
done

step "cargo test (Rust unit, integration and conformance tests, C ABI smoke test), in a network namespace with only loopback"
# The C smoke test links the cdylib, which `cargo test` does not build for a cdylib-only crate.
cargo fetch --locked   # every platform's crates: the cross builds below run offline
cargo build --workspace --all-targets
fc_loopback_only env CARGO_NET_OFFLINE=true cargo test --workspace

step "fuzz: every cargo-fuzz target for 30 s from its seeds (scripts/fuzz.sh; longer runs: FUZZING.md)"
FUZZ_SECONDS=30 bash scripts/fuzz.sh

step "gradle build (Java 8 jar with the seven native libraries, scripts/build-natives.sh), Java and Spring Boot starter tests, publishToMavenLocal; offline, in a network namespace with only loopback"
start=$SECONDS
# The dependencies first (the only step that needs Maven Central), then the build and its tests
# where nothing but loopback can be reached. One invocation: publishToMavenLocal publishes the
# jars this build made (natives built once).
fc_gradle -q resolveDependencies
prefetch_boot_apps
fc_loopback_only env CARGO_NET_OFFLINE=true "${FC_GRADLE[@]}" --no-daemon --console=plain --offline \
  -Pnative=all build publishToMavenLocal
echo "gradle build took $((SECONDS - start)) s"

step "published artifacts in ~/.m2: jars, sources and javadoc jars (unzip -l), POMs, manifests"
bash scripts/check-published.sh --natives 7

step "the Maven consumer (examples/maven): mvn package from the published coordinates, then a signed STS call with freshcreds' credentials against the simulator"
start=$SECONDS
bash scripts/maven-example.sh
echo "Maven consumer took $((SECONDS - start)) s"

step "the oldest supported AWS SDKs (v1 1.12.100, v2 2.21.0): a real signed STS call through each adapter (scripts/check-min-sdks.sh)"
bash scripts/check-min-sdks.sh

step "native libraries: glibc 2.17 baseline, exported symbols, musl and Windows C smoke tests, arm64 Java tests under qemu"
start=$SECONDS
fc_gradle -q -Pnative=all :java:testClasspathFile
bash scripts/check-natives.sh --natives target/natives-all
echo "native checks took $((SECONDS - start)) s"

step "the Gradle example's --revoke: the live key is revoked mid-run; 0 failed and some successful calls after it through freshcreds (SDK v1 and v2), no hung client, while the SDKs' own providers fail; about 45 s"
fc_gradle -q -Pnative=all :examples:runExample -Pargs='--revoke'

step "the Gradle example under random IMDS faults: 150 s, 5+ rotations of 30-second credentials; exits non-zero on any failed call (ExpiredToken), a failed admin call, no fault served, or more IMDS credential requests than the stated bound"
fc_gradle -q -Pnative=all :examples:runExample -Pargs='--faults'

echo
skipped="$(grep -c '^skipped: ' "$FRESHCREDS_SKIP_LOG" || true)"
if [ "$skipped" -gt 0 ]; then
  echo "skipped, as FRESHCREDS_SKIP=${FRESHCREDS_SKIP:-} allows:"
  cat "$FRESHCREDS_SKIP_LOG"
fi
rm -f "$FRESHCREDS_SKIP_LOG"
echo "all tests passed in $((SECONDS - total)) s; $skipped skipped"
