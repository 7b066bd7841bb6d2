#!/usr/bin/env bash
# Installs what freshcreds' build and tests need on a fresh Debian machine that already has a
# Rust toolchain and a JDK: Gradle, Maven and unzip (Debian's packages) and the AWS CLI (from
# PyPI); for the seven native libraries and their checks mingw-w64, musl-tools,
# qemu-user-static, wine64, arm64 binutils and LLVM's objdump (Debian's packages), and the
# pinned zig, cargo-zigbuild and rustup targets (scripts/build-natives.sh --install-tools).
# Each only when missing. Safe to run again.
set -euo pipefail

need_apt=()
command -v gradle >/dev/null 2>&1 || need_apt+=(gradle)
command -v cc >/dev/null 2>&1 || need_apt+=(gcc)
# The Maven consumer (examples/maven, scripts/maven-example.sh) and the check of the published jars.
command -v mvn >/dev/null 2>&1 || need_apt+=(maven)
command -v unzip >/dev/null 2>&1 || need_apt+=(unzip)
# Cross-building and checking the native libraries (scripts/build-natives.sh, check-natives.sh),
# without recommended packages (wine64's would add fonts and desktop integration).
need_native=()
command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 || need_native+=(gcc-mingw-w64-x86-64)
command -v musl-gcc >/dev/null 2>&1 || need_native+=(musl-tools)
command -v qemu-aarch64-static >/dev/null 2>&1 || need_native+=(qemu-user-static)
[ -x /usr/lib/wine/wine64 ] || command -v wine64 >/dev/null 2>&1 || need_native+=(wine64)
command -v aarch64-linux-gnu-objdump >/dev/null 2>&1 || need_native+=(binutils-aarch64-linux-gnu)
{ command -v llvm-objdump >/dev/null 2>&1 && command -v llvm-nm >/dev/null 2>&1; } || need_native+=(llvm)
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
if [ ${#need_apt[@]} -gt 0 ] || [ ${#need_native[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing ${need_apt[*]} from Debian's packages"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
if [ ${#need_native[@]} -gt 0 ]; then
  echo "setup: installing ${need_native[*]} from Debian's packages"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_native[@]}" >/dev/null
fi

# botocore (which comes with it) must be importable: tests/interop_botocore_sso.rs runs it.
if ! command -v aws >/dev/null 2>&1 || ! python3 -c 'import botocore.tokens' >/dev/null 2>&1; then
  echo "setup: installing the AWS CLI (and botocore) from PyPI"
  python3 -m pip install -q awscli
  hash -r
fi
# botocore's `aws login` provider needs the AWS CRT (its EC keys): tests/interop_botocore_login.rs
# runs it. botocore[crt] at the installed botocore's version brings the awscrt it pins.
if ! python3 -c 'import awscrt' >/dev/null 2>&1; then
  echo "setup: installing the AWS CRT for botocore (botocore[crt]) from PyPI"
  python3 -m pip install -q "botocore[crt]==$(python3 -c 'import botocore; print(botocore.__version__)')"
fi

command -v cargo >/dev/null && bash "$(dirname "$0")/build-natives.sh" --install-tools

command -v cargo >/dev/null || { echo "setup: cargo is missing: install Rust (rustup) first" >&2; exit 1; }

# The fuzz targets (scripts/fuzz.sh) need a nightly toolchain and cargo-fuzz.
if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  echo "setup: installing the nightly Rust toolchain (for cargo fuzz)"
  rustup toolchain install nightly --profile minimal || {
    echo "setup: no nightly toolchain: install one (rustup toolchain install nightly) for scripts/fuzz.sh" >&2; exit 1; }
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "setup: installing cargo-fuzz from crates.io"
  nice -n 10 cargo install cargo-fuzz --locked --quiet
fi
command -v java >/dev/null || { echo "setup: java is missing: install a JDK (8 or later) first" >&2; exit 1; }
echo "setup: $(cargo --version); $(cargo fuzz --version); $(java -version 2>&1 | head -1); $(gradle --version 2>/dev/null | grep -m1 '^Gradle'); $(mvn -v 2>/dev/null | grep -m1 '^Apache Maven' | sed 's/\x1b\[[0-9;]*m//g'); $(aws --version 2>&1)"
