#!/usr/bin/env bash
# Installs what freshcreds' TESTS need (scripts/test.sh runs it; the example needs none of this:
# scripts/example.sh asks only for a JDK and a Rust toolchain). On a Debian/Ubuntu machine that
# already has a Rust toolchain and a JDK, each only when missing, safe to run again:
# - Gradle: the wrapper (./gradlew), else `gradle` on PATH, else Debian's package;
# - Debian's packages: Maven and unzip (the Maven consumer, the published jars' checks);
#   mingw-w64, musl-tools, qemu-user-static, wine64, arm64 binutils and LLVM (the seven native
#   libraries and their checks); shellcheck (the scripts' lint);
# - Python tools, pinned, in the checkout's virtual environment .tools/venv (never the system's
#   Python: PEP 668): the AWS CLI and botocore with the AWS CRT (interop tests), ziglang and
#   cargo-zigbuild (cross-building the native libraries);
# - rustup targets (scripts/build-natives.sh --install-tools), a nightly toolchain and cargo-fuzz.
# Every step that fails says what it was doing and the fix. When sourced (scripts/test.sh), it
# leaves FC_GRADLE set and the tools' bin directory on PATH.
set -euo pipefail
FC_NAME=setup
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The pinned Python tools. botocore's `aws login` provider needs the AWS CRT (its EC keys), which
# botocore[crt] brings at the version that botocore pins.
AWSCLI_VERSION=1.45.11
BOTOCORE_VERSION=1.43.11
# moto's S3 server, the S3 peer of the Hadoop S3A test (HadoopS3aTest); boto3, which it needs, at
# the release that matches the pinned botocore.
MOTO_VERSION=5.2.5
BOTO3_VERSION=1.43.11

fc_require_jdk_and_rust

need=()
command -v mvn >/dev/null 2>&1 || need+=(maven)
command -v unzip >/dev/null 2>&1 || need+=(unzip)
command -v git >/dev/null 2>&1 || need+=(git)
command -v shellcheck >/dev/null 2>&1 || need+=(shellcheck)
# Cross-building and checking the native libraries (scripts/build-natives.sh, check-natives.sh),
# without recommended packages (wine64's would add fonts and desktop integration).
command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 || need+=(gcc-mingw-w64-x86-64)
command -v musl-gcc >/dev/null 2>&1 || need+=(musl-tools)
command -v qemu-aarch64-static >/dev/null 2>&1 || need+=(qemu-user-static)
[ -x /usr/lib/wine/wine64 ] || command -v wine64 >/dev/null 2>&1 || need+=(wine64)
command -v aarch64-linux-gnu-objdump >/dev/null 2>&1 || need+=(binutils-aarch64-linux-gnu)
{ command -v llvm-objdump >/dev/null 2>&1 && command -v llvm-nm >/dev/null 2>&1; } || need+=(llvm)
[ ${#need[@]} -eq 0 ] || fc_apt_install "${need[@]}"

fc_pick_gradle

fc_python_tools "awscli==$AWSCLI_VERSION" "botocore[crt]==$BOTOCORE_VERSION" "boto3==$BOTO3_VERSION" \
  "moto[server]==$MOTO_VERSION"
command -v aws >/dev/null 2>&1 || fc_die "the AWS CLI is not on PATH after its install into $FC_VENV"

bash "$FC_ROOT/scripts/build-natives.sh" --install-tools

# The fuzz targets (scripts/fuzz.sh) need a nightly toolchain and cargo-fuzz.
if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  fc_log "installing the nightly Rust toolchain (for cargo fuzz)"
  rustup toolchain install nightly --profile minimal >&2 ||
    fc_die "could not install a nightly toolchain: run 'rustup toolchain install nightly --profile minimal' (scripts/fuzz.sh needs it)"
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  fc_log "installing cargo-fuzz from crates.io"
  nice -n 10 cargo install cargo-fuzz --locked --quiet ||
    fc_die "could not install cargo-fuzz: run 'cargo install cargo-fuzz --locked' (scripts/fuzz.sh needs it)"
fi
# One line of versions; a tool that cannot say its version shows "?" (this summary never fails).
first_line() { "$@" 2>&1 | sed 's/\x1b\[[0-9;]*m//g' | grep -m1 . || echo "$* ?"; }
fc_log "$(first_line cargo --version); $(first_line cargo fuzz --version); $(first_line java -version); $(fc_gradle --version 2>&1 | grep -m1 '^Gradle' || echo 'Gradle ?'); $(first_line mvn -v); $(first_line aws --version)"
