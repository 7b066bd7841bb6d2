#!/usr/bin/env bash
# Builds the native library (crate freshcreds-native, release profile) for the platforms the jar
# carries and writes them, with a checksum manifest, as the jar lays them out:
#
#   <out>/native/<os>-<arch>[-musl]/<library file>
#   <out>/native/SHA256SUMS            sha256sum format: "<sha256>  <os>-<arch>[-musl]/<file>"
#
# Usage: scripts/build-natives.sh [--all | --host | --platforms p1,p2,...] [--out DIR]
#                                 [--install-tools]
#   --all (default)  the seven platforms below, cross-compiled from Linux x86-64
#   --host           only this machine's platform, with plain cargo (the quick local loop)
#   --out DIR        where to write (default: target/natives)
#   --install-tools  only install the pinned tools, build nothing
#
# Platforms and how each is built (from a Debian 12 x86-64 machine):
#   linux-x86_64, linux-aarch64        cargo zigbuild, target <arch>-unknown-linux-gnu.2.17
#                                      (glibc 2.17 baseline: Amazon Linux 2, RHEL 7 and later)
#   linux-x86_64-musl,                 cargo zigbuild, <arch>-unknown-linux-musl, dynamically
#   linux-aarch64-musl                 linked against musl (-C target-feature=-crt-static)
#   macos-x86_64, macos-aarch64        cargo zigbuild, <arch>-apple-darwin, MACOSX_DEPLOYMENT_TARGET
#                                      10.12 / 11.0, install name @rpath/libfreshcreds.dylib
#   windows-x86_64                     cargo build, x86_64-pc-windows-gnu, Debian's mingw-w64 gcc
#
# The tools are pinned and installed by this script when missing or at another version (ziglang
# and cargo-zigbuild from PyPI into the checkout's .tools/venv, the rustup targets, Debian's
# mingw-w64), so a fresh machine with a Rust toolchain, python3 and apt builds the same files.
# --host needs none of them: plain cargo.
set -euo pipefail
shopt -s inherit_errexit
FC_NAME=build-natives
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$FC_ROOT"

ZIGLANG_VERSION=0.17.1
CARGO_ZIGBUILD_VERSION=0.24.1
MACOS_X86_64_DEPLOYMENT_TARGET=10.12
MACOS_AARCH64_DEPLOYMENT_TARGET=11.0
ALL_PLATFORMS=(linux-x86_64 linux-aarch64 linux-x86_64-musl linux-aarch64-musl macos-x86_64 macos-aarch64 windows-x86_64)

mode=all
platforms_arg=""
out=target/natives
while [ $# -gt 0 ]; do
  case "$1" in
    --all) mode=all ;;
    --host) mode=host ;;
    --platforms) mode=list; platforms_arg="$2"; shift ;;
    --out) out="$2"; shift ;;
    --install-tools) mode=tools ;;
    -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
    *) echo "build-natives: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

target_dir="${CARGO_TARGET_DIR:-target}"

log() { fc_log "$@"; }
die() { fc_die "$@"; }

# Rust target triple of a platform (zigbuild's glibc suffix added where it applies).
triple() {
  case "$1" in
    linux-x86_64) echo x86_64-unknown-linux-gnu ;;
    linux-aarch64) echo aarch64-unknown-linux-gnu ;;
    linux-x86_64-musl) echo x86_64-unknown-linux-musl ;;
    linux-aarch64-musl) echo aarch64-unknown-linux-musl ;;
    macos-x86_64) echo x86_64-apple-darwin ;;
    macos-aarch64) echo aarch64-apple-darwin ;;
    windows-x86_64) echo x86_64-pc-windows-gnu ;;
    *) die "unknown platform $1 (one of: ${ALL_PLATFORMS[*]})" ;;
  esac
}

file_name() {
  case "$1" in
    linux-*) echo libfreshcreds.so ;;
    macos-*) echo libfreshcreds.dylib ;;
    windows-*) echo freshcreds.dll ;;
  esac
}

host_platform() {
  local os arch
  case "$(uname -s)" in
    Linux) os=linux ;;
    Darwin) os=macos ;;
    MINGW*|MSYS*|CYGWIN*) os=windows ;;
    *) die "unsupported host $(uname -s)" ;;
  esac
  case "$(uname -m)" in
    x86_64|amd64) arch=x86_64 ;;
    aarch64|arm64) arch=aarch64 ;;
    *) die "unsupported host architecture $(uname -m)" ;;
  esac
  local p="$os-$arch"
  if [ "$os" = linux ] && { ldd --version 2>&1 || true; } | grep -qi musl; then
    p="$p-musl"
  fi
  echo "$p"
}


install_tools() {
  local want=("$@") targets=() need_zig=0 need_mingw=0 p
  for p in "${want[@]}"; do
    targets+=("$(triple "$p")")
    case "$p" in
      windows-*) need_mingw=1 ;;
      *) need_zig=1 ;;
    esac
  done
  local installed
  installed="$(rustup target list --installed)"
  local missing=()
  for t in "${targets[@]}"; do
    grep -qx "$t" <<<"$installed" || missing+=("$t")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "rustup target add ${missing[*]}"
    rustup target add "${missing[@]}" >&2 ||
      die "rustup target add ${missing[*]} failed (see above): run it by hand, or build this machine's library only (--host)"
  fi
  if [ $need_zig -eq 1 ]; then
    # Into the checkout's virtual environment (scripts/lib.sh), whose bin then comes first on PATH.
    fc_python_tools "ziglang==$ZIGLANG_VERSION" "cargo-zigbuild==$CARGO_ZIGBUILD_VERSION"
    command -v cargo-zigbuild >/dev/null || die "cargo-zigbuild is not on PATH after its install into $FC_VENV"
  fi
  if [ $need_mingw -eq 1 ] && ! command -v x86_64-w64-mingw32-gcc >/dev/null; then
    fc_apt_install gcc-mingw-w64-x86-64
  fi
}

# Builds one platform; prints the path of the built library.
build_one() {
  local p="$1" t file
  t="$(triple "$p")"
  file="$(file_name "$p")"
  local built="$target_dir/$t/release/$file"
  rm -f "$built"
  local start=$SECONDS
  case "$p" in
    linux-x86_64|linux-aarch64)
      cargo zigbuild --release --locked -p freshcreds-native --target "$t.2.17" >&2
      ;;
    linux-*-musl)
      # Without -crt-static cargo silently drops the cdylib for musl (a warning, exit 0).
      local var
      var="CARGO_TARGET_$(tr 'a-z-' 'A-Z_' <<<"$t")_RUSTFLAGS"
      env "$var=-C target-feature=-crt-static" \
        cargo zigbuild --release --locked -p freshcreds-native --target "$t" >&2
      ;;
    macos-*)
      local deployment=$MACOS_X86_64_DEPLOYMENT_TARGET var
      [ "$p" = macos-aarch64 ] && deployment=$MACOS_AARCH64_DEPLOYMENT_TARGET
      var="CARGO_TARGET_$(tr 'a-z-' 'A-Z_' <<<"$t")_RUSTFLAGS"
      # Stripped by the linker (-s), not by a strip run afterwards, which would invalidate the
      # ad-hoc code signature arm64 macOS requires.
      env MACOSX_DEPLOYMENT_TARGET="$deployment" CARGO_PROFILE_RELEASE_STRIP=false \
        "$var=-C link-arg=-Wl,-install_name,@rpath/libfreshcreds.dylib -C link-arg=-s" \
        cargo zigbuild --release --locked -p freshcreds-native --target "$t" >&2
      ;;
    windows-x86_64)
      env CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc \
        cargo build --release --locked -p freshcreds-native --target "$t" >&2
      ;;
  esac
  [ -f "$built" ] || die "$p: cargo finished but wrote no $built"
  log "$p: $built, $(wc -c <"$built") bytes, $((SECONDS - start)) s"
  echo "$built"
}

stage() {
  local p="$1" built="$2"
  mkdir -p "$out/native/$p"
  cp "$built" "$out/native/$p/"
}

write_manifest() {
  (cd "$out/native" && find . -mindepth 2 -type f ! -name SHA256SUMS | sed 's|^\./||' | LC_ALL=C sort |
    while read -r f; do sha256sum "$f"; done) >"$out/native/SHA256SUMS.tmp"
  mv "$out/native/SHA256SUMS.tmp" "$out/native/SHA256SUMS"
}

case "$mode" in
  all) platforms=("${ALL_PLATFORMS[@]}") ;;
  list) IFS=, read -r -a platforms <<<"$platforms_arg" ;;
  tools) install_tools "${ALL_PLATFORMS[@]}"; exit 0 ;;
  host) platforms=() ;;
esac

rm -rf "$out/native"
mkdir -p "$out/native"
if [ "$mode" = host ]; then
  p="$(host_platform)"
  cargo build --release --locked -p freshcreds-native >&2
  built="$target_dir/release/$(file_name "$p")"
  [ -f "$built" ] || die "$p: cargo finished but wrote no $built"
  stage "$p" "$built"
else
  install_tools "${platforms[@]}"
  total=$SECONDS
  for p in "${platforms[@]}"; do
    built="$(build_one "$p")"
    stage "$p" "$built"
  done
  log "${#platforms[@]} platforms in $((SECONDS - total)) s"
fi
write_manifest
log "wrote $out/native:"
sed 's/^/  /' "$out/native/SHA256SUMS" >&2
