#!/usr/bin/env bash
# Runs every test of freshcreds on a fresh machine: installs what is missing (scripts/setup.sh),
# then the Rust checks and tests, a short run of every fuzz target, the Java build and tests
# through Gradle (the Spring Boot starter's too), the artifacts it publishes to the local Maven
# repository, the Maven consumer (examples/maven), and a short run of the Gradle example against
# the bundled simulator, with random IMDS faults. CI runs exactly this (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "setup"
bash scripts/setup.sh

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo test (Rust unit, integration and conformance tests, C ABI smoke test)"
# The C smoke test links the cdylib, which `cargo test` does not build for a cdylib-only crate.
cargo build --workspace
cargo test --workspace

step "fuzz: every cargo-fuzz target for 30 s from its seeds (scripts/fuzz.sh; longer runs: FUZZING.md)"
FUZZ_SECONDS=30 bash scripts/fuzz.sh

step "gradle build (Java 8 jar with the seven native libraries, scripts/build-natives.sh), Java and Spring Boot starter tests, publishToMavenLocal"
start=$SECONDS
# One invocation: publishToMavenLocal publishes the jars this build made (natives built once).
gradle --no-daemon --console=plain build publishToMavenLocal
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
gradle --no-daemon --console=plain -q :java:testClasspathFile
bash scripts/check-natives.sh --natives target/natives-all
echo "native checks took $((SECONDS - start)) s"

step "the Gradle example's --revoke: the live key is revoked mid-run; 0 failed calls through freshcreds (SDK v1 and v2), while the SDKs' own providers fail; about 45 s"
gradle --no-daemon --console=plain -q :examples:runExample -Pargs='--revoke'

step "the Gradle example under random IMDS faults: 150 s, 5 rotations of 30-second credentials; exits non-zero on any failed call (ExpiredToken) or when IMDS got more credential requests than the stated bound"
gradle --no-daemon --console=plain -q :examples:runExample -Pargs='--faults'

echo
echo "all tests passed"
