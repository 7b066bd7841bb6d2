#!/usr/bin/env bash
# Checks and runs the seven native libraries scripts/build-natives.sh wrote (CI runs every step):
#
#   glibc     linux-x86_64, linux-aarch64: no dynamic symbol above GLIBC_2.17 (objdump -T)
#   symbols   every library exports the same JNI entry points and the C functions the header
#             declares (objdump -T / objdump -p / llvm-objdump --macho); Mach-O architecture,
#             install name @rpath/libfreshcreds.dylib and minimum macOS version
#   musl      the C smoke test (rust/native/tests/c/ffi_smoke.c) against the simulator:
#             x86-64 linked with musl-gcc and run natively, arm64 linked with zig cc and run
#             under qemu-aarch64-static with Debian's arm64 musl
#   windows   the C smoke test linked with mingw-w64 and run under wine64, with a test-only
#             bcryptprimitives.dll (Wine 8 lacks ProcessPrng); fails when Wine is missing or
#             does not start, unless FRESHCREDS_SKIP names wine (then skipped, with a line)
#   arm64     the Java tests that do not start child JVMs, in Debian's arm64 OpenJDK 17
#             (extracted from its .debs into a sysroot) under qemu-aarch64-static, against the
#             simulator
#
# Usage: scripts/check-natives.sh [--natives DIR] [--only glibc,symbols,musl,windows,arm64]
#   --natives DIR  the directory holding native/ (default: target/natives-all, the Gradle build's)
# The arm64 step needs java/build/test-classpath.txt (gradle :java:testClasspathFile).
set -euo pipefail
FC_NAME=check-natives
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
shopt -s inherit_errexit
cd "$(dirname "$0")/.."

# The newest glibc symbol version the Linux libraries may need (Amazon Linux 2 has 2.26, RHEL 7 2.17).
MAX_GLIBC=2.17
MACOS_MIN_X86_64=10.12
MACOS_MIN_AARCH64=11.0
# The arm64 Java tests: those that neither start child JVMs (emulated child processes would need
# binfmt_misc) nor depend on the host's platform name.
# Left out: JarTest, NativeLoaderJvmTest and GlobalHooksTest, which start JVMs of their own.
ARM64_JAVA_TESTS=(dev.freshcreds.SdkAgainstSimulatorTest dev.freshcreds.FreshCredentialsSourceTest
  dev.freshcreds.FreshCredentialsOptionsTest dev.freshcreds.FreshCredentialsTest
  dev.freshcreds.LogForwardingTest dev.freshcreds.SdkExceptionsTest dev.freshcreds.SnapshotDeadlineTest
  dev.freshcreds.StaticStabilityTest dev.freshcreds.internal.NativeLoaderTest
  dev.freshcreds.StatusAndMetricsTest dev.freshcreds.SourceCleanupTest dev.freshcreds.LogLevelFollowsLoggerTest)
# Debian packages of the arm64 sysroot: the JRE and the libraries libjvm and the launcher link.
ARM64_DEBS=(openjdk-17-jre-headless:arm64 libc6:arm64 libgcc-s1:arm64 libstdc++6:arm64 zlib1g:arm64 musl:arm64)

natives=target/natives-all
only=glibc,symbols,musl,windows,arm64
while [ $# -gt 0 ]; do
  case "$1" in
    --natives) natives="$2"; shift ;;
    --only) only="$2"; shift ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "check-natives: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
n="$natives/native"
[ -f "$n/SHA256SUMS" ] || { echo "check-natives: no $n/SHA256SUMS: run scripts/build-natives.sh --out $natives" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"; [ -n "${sim_pid:-}" ] && kill "$sim_pid" 2>/dev/null; true' EXIT

log() { printf 'check-natives: %s\n' "$*" >&2; }
fail() { log "FAIL: $*"; exit 1; }
wants() { [[ ",$only," == *",$1,"* ]]; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
timed() { local s=$SECONDS; "$@"; log "$1 took $((SECONDS - s)) s"; }

(cd "$n" && sha256sum --quiet -c SHA256SUMS) || fail "checksums in $n/SHA256SUMS do not match"

# The C functions the header declares.
header_functions() {
  grep -oE '\bfreshcreds_[a-z_]+\(' rust/native/include/freshcreds.h | tr -d '(' | LC_ALL=C sort -u
}
# The JNI entry points the Java side declares: native methods of the package-private
# dev.freshcreds.Native, and of the test-only dev.freshcreds.NativeTestHooks (not in the jar).
java_natives() {
  { grep -oE 'native [^(]+ [a-zA-Z0-9]+\(' java/src/main/java/dev/freshcreds/Native.java |
      sed -E 's/.* ([a-zA-Z0-9]+)\($/Java_dev_freshcreds_Native_\1/'
    grep -oE 'native [^(]+ [a-zA-Z0-9]+\(' java/src/test/java/dev/freshcreds/NativeTestHooks.java |
      sed -E 's/.* ([a-zA-Z0-9]+)\($/Java_dev_freshcreds_NativeTestHooks_\1/'
    echo JNI_OnLoad; echo JNI_OnUnload; } | LC_ALL=C sort -u
}
expected_symbols() { { header_functions; java_natives; } | LC_ALL=C sort -u; }

elf_exports() { # objdump program, file
  "$1" -T "$2" | awk '$2 ~ /g/ && $4 == ".text" {print $NF}' | grep -E '^(freshcreds_|Java_|JNI_)' | LC_ALL=C sort -u
}
pe_exports() {
  objdump -p "$1" | awk '/^\[Ordinal\/Name Pointer\] Table/ {t=1; next} t && /^[ \t]*\[/ {print $NF} t && /^$/ {t=0}' |
    grep -E '^(freshcreds_|Java_|JNI_)' | LC_ALL=C sort -u
}
macho_exports() {
  llvm-nm --extern-only --defined-only "$1" | awk '{print $NF}' | sed 's/^_//' |
    grep -E '^(freshcreds_|Java_|JNI_)' | LC_ALL=C sort -u
}

check_glibc() {
  local p objdump max
  for p in linux-x86_64 linux-aarch64; do
    objdump=objdump
    [ "$p" = linux-aarch64 ] && objdump=aarch64-linux-gnu-objdump
    max="$("$objdump" -T "$n/$p/libfreshcreds.so" | grep -oE 'GLIBC_[0-9.]+' | sed 's/GLIBC_//' | sort -uV | tail -1)"
    [ -n "$max" ] || fail "$p: no GLIBC_ symbol versions at all (is it a glibc library?)"
    if [ "$(printf '%s\n%s\n' "$max" "$MAX_GLIBC" | sort -V | tail -1)" != "$MAX_GLIBC" ]; then
      "$objdump" -T "$n/$p/libfreshcreds.so" | grep -E "GLIBC_[0-9.]+" | grep -vE "GLIBC_(2\.[0-9]|2\.1[0-7])[^0-9.]" >&2 || true
      fail "$p needs GLIBC_$max, more than GLIBC_$MAX_GLIBC (the symbols above)"
    fi
    log "$p: highest glibc symbol version GLIBC_$max (<= $MAX_GLIBC)"
  done
}

check_symbols() {
  expected_symbols >"$work/expected"
  [ "$(wc -l <"$work/expected")" -gt 10 ] || fail "found only $(wc -l <"$work/expected") expected symbols; the header or Native.java moved?"
  local p
  for p in linux-x86_64 linux-x86_64-musl; do elf_exports objdump "$n/$p/libfreshcreds.so" >"$work/$p"; done
  for p in linux-aarch64 linux-aarch64-musl; do elf_exports aarch64-linux-gnu-objdump "$n/$p/libfreshcreds.so" >"$work/$p"; done
  pe_exports "$n/windows-x86_64/freshcreds.dll" >"$work/windows-x86_64"
  for p in macos-x86_64 macos-aarch64; do macho_exports "$n/$p/libfreshcreds.dylib" >"$work/$p"; done
  for p in linux-x86_64 linux-aarch64 linux-x86_64-musl linux-aarch64-musl windows-x86_64 macos-x86_64 macos-aarch64; do
    if ! diff -u "$work/expected" "$work/$p" >"$work/$p.diff"; then
      cat "$work/$p.diff" >&2
      fail "$p: the exported JNI/C symbols differ from the header and Native.java (- missing, + extra)"
    fi
  done
  log "all seven export the $(wc -l <"$work/expected") JNI and C symbols"
  # Machine types.
  objdump -f "$n/linux-x86_64/libfreshcreds.so" | grep -q 'elf64-x86-64' || fail "linux-x86_64 is not x86-64 ELF"
  objdump -f "$n/linux-x86_64-musl/libfreshcreds.so" | grep -q 'elf64-x86-64' || fail "linux-x86_64-musl is not x86-64 ELF"
  aarch64-linux-gnu-objdump -f "$n/linux-aarch64/libfreshcreds.so" | grep -q 'elf64-littleaarch64' || fail "linux-aarch64 is not arm64 ELF"
  aarch64-linux-gnu-objdump -f "$n/linux-aarch64-musl/libfreshcreds.so" | grep -q 'elf64-littleaarch64' || fail "linux-aarch64-musl is not arm64 ELF"
  objdump -f "$n/windows-x86_64/freshcreds.dll" | grep -q 'pei-x86-64' || fail "windows-x86_64 is not a PE32+ x86-64 DLL"
  # musl libraries need musl's libc and nothing of glibc.
  for p in linux-x86_64-musl linux-aarch64-musl; do
    if aarch64-linux-gnu-objdump -T "$n/$p/libfreshcreds.so" 2>/dev/null | grep -q GLIBC_ ||
      objdump -T "$n/$p/libfreshcreds.so" 2>/dev/null | grep -q GLIBC_; then
      fail "$p has glibc symbol versions"
    fi
  done
  local arch minos want_min
  for p in macos-x86_64 macos-aarch64; do
    local f="$n/$p/libfreshcreds.dylib"
    arch="$(llvm-objdump --macho --private-header "$f" | awk '/MH_MAGIC_64/ {print $2}')"
    case "$p" in
      macos-x86_64) [ "$arch" = X86_64 ] || fail "$p: Mach-O cputype $arch, not X86_64"; want_min=$MACOS_MIN_X86_64 ;;
      macos-aarch64) [ "$arch" = ARM64 ] || fail "$p: Mach-O cputype $arch, not ARM64"; want_min=$MACOS_MIN_AARCH64 ;;
    esac
    llvm-objdump --macho --private-headers "$f" >"$work/$p.headers"
    grep -A3 'cmd LC_ID_DYLIB' "$work/$p.headers" | grep -q 'name @rpath/libfreshcreds.dylib' ||
      fail "$p: install name is not @rpath/libfreshcreds.dylib"
    minos="$(awk '/cmd LC_BUILD_VERSION/ {b=1} b && $1 == "minos" {print $2; exit} /cmd LC_VERSION_MIN_MACOSX/ {v=1} v && $1 == "version" {print $2; exit}' "$work/$p.headers")"
    [ "$minos" = "$want_min" ] || fail "$p: minimum macOS $minos, expected $want_min"
    if grep -q 'CoreFoundation' "$work/$p.headers"; then fail "$p links CoreFoundation"; fi
    log "$p: Mach-O $arch, install name @rpath/libfreshcreds.dylib, minimum macOS $minos"
  done
}

start_sim() {
  local bin=target/debug/freshcreds-sim
  [ -x "$bin" ] || cargo build -q -p freshcreds-sim
  "$bin" --port 0 >"$work/sim.out" 2>"$work/sim.err" &
  sim_pid=$!
  for _ in $(seq 1 100); do
    sim_url="$(sed -n 's/^freshcreds-sim listening on //p' "$work/sim.out" | head -1)"
    [ -n "$sim_url" ] && return 0
    sleep 0.1
  done
  cat "$work/sim.err" >&2
  fail "the simulator did not start"
}

check_smoke_output() { # platform, output file
  if ! grep -q 'credentials ASIA' "$2" || [ "$(tail -1 "$2")" != ok ]; then
    cat "$2" >&2
    fail "$1: the C smoke test did not finish with ok"
  fi
  log "$1: the C smoke test passed against the simulator"
}

arm64_sysroot() {
  sysroot="${FRESHCREDS_ARM64_SYSROOT:-target/sysroot-arm64}"
  [ -x "$sysroot/usr/lib/jvm/java-17-openjdk-arm64/bin/java" ] && [ -e "$sysroot/lib/ld-musl-aarch64.so.1" ] && return 0
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    log "dpkg --add-architecture arm64 (package lists only; nothing arm64 is installed)"
    as_root dpkg --add-architecture arm64
    as_root apt-get update -qq
  fi
  rm -rf "$sysroot" "$work/debs"
  mkdir -p "$sysroot" "$work/debs"
  (cd "$work/debs" && apt-get download -qq "${ARM64_DEBS[@]}" 2>/dev/null)
  local d
  for d in "$work"/debs/*.deb; do dpkg -x "$d" "$sysroot"; done
  log "arm64 sysroot in $sysroot from: $(find "$work/debs" -mindepth 1 -maxdepth 1 -printf '%f ')"
}

check_musl() {
  start_sim
  local x="$work/musl-x86_64"
  mkdir -p "$x"
  cp "$n/linux-x86_64-musl/libfreshcreds.so" "$x/"
  musl-gcc -std=c99 -Wall -Wextra -Werror -pedantic -I rust/native/include rust/native/tests/c/ffi_smoke.c \
    -o "$x/ffi_smoke" -L"$x" -lfreshcreds -Wl,-rpath,"$x"
  file_interp="$(objdump -s -j .interp "$x/ffi_smoke" | grep -o 'ld-musl[^.]*' | head -1)"
  [ -n "$file_interp" ] || fail "linux-x86_64-musl: the smoke test is not a musl program"
  env -i HOME="$work" "$x/ffi_smoke" "$sim_url" >"$x/out" 2>&1 || { cat "$x/out" >&2; fail "linux-x86_64-musl: the C smoke test failed"; }
  check_smoke_output linux-x86_64-musl "$x/out"

  arm64_sysroot
  local a="$work/musl-aarch64"
  mkdir -p "$a"
  cp "$n/linux-aarch64-musl/libfreshcreds.so" "$a/"
  # -O2 without sanitizers: zig's debug default links its UBSan runtime, which needs statx,
  # newer than Debian's musl 1.2.3 (the library itself does not).
  python3 -m ziglang cc -target aarch64-linux-musl -O2 -fno-sanitize=all -std=c99 -Wall -Wextra -Werror -pedantic -I rust/native/include \
    rust/native/tests/c/ffi_smoke.c -o "$a/ffi_smoke" -L"$a" -lfreshcreds -Wl,-rpath,"$a"
  env -i HOME="$work" qemu-aarch64-static -L "$sysroot" "$a/ffi_smoke" "$sim_url" >"$a/out" 2>&1 ||
    { cat "$a/out" >&2; fail "linux-aarch64-musl: the C smoke test failed under qemu"; }
  check_smoke_output linux-aarch64-musl "$a/out"
}

check_windows() {
  local wine=""
  for c in wine64 /usr/lib/wine/wine64 wine; do command -v "$c" >/dev/null 2>&1 && { wine="$(command -v "$c")"; break; }; done
  if [ -z "$wine" ]; then
    fc_tool_missing wine "windows-x86_64 C smoke test" "no wine64 on PATH (the library's symbols are checked, it is not run)"
    return 0
  fi
  local w="$work/windows"
  mkdir -p "$w"
  cp "$n/windows-x86_64/freshcreds.dll" "$w/"
  x86_64-w64-mingw32-gcc -std=c99 -Wall -Wextra -Werror -pedantic -I rust/native/include rust/native/tests/c/ffi_smoke.c \
    -o "$w/ffi_smoke.exe" "$w/freshcreds.dll"
  # Test-only, never shipped: Wine 8 has no bcryptprimitives.dll, whose ProcessPrng Rust's std
  # imports for random numbers; this one forwards to advapi32's RtlGenRandom (SystemFunction036).
  cat >"$w/bcryptprimitives.c" <<'EOF'
#include <windows.h>
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
    while (length > 0) {
        ULONG chunk = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk)) return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
EOF
  x86_64-w64-mingw32-gcc -shared -O2 -o "$w/bcryptprimitives.dll" "$w/bcryptprimitives.c" -ladvapi32
  [ -n "${sim_url:-}" ] || start_sim
  export WINEPREFIX="$work/wineprefix" WINEDEBUG=-all WINEDLLOVERRIDES="bcryptprimitives=n;mscoree,mshtml="
  if ! timeout 180 "$wine" wineboot --init >"$w/wineboot.log" 2>&1; then
    fc_tool_missing wine "windows-x86_64 C smoke test" "wine64 wineboot failed ($(tail -1 "$w/wineboot.log"))"
    return 0
  fi
  (cd "$w" && timeout 120 "$wine" ./ffi_smoke.exe "$sim_url") >"$w/out" 2>&1 ||
    { cat "$w/out" >&2; fail "windows-x86_64: the C smoke test failed under wine64"; }
  tr -d '\r' <"$w/out" >"$w/out.txt"
  check_smoke_output windows-x86_64 "$w/out.txt"
}

check_arm64() {
  arm64_sysroot
  local cp_file=java/build/test-classpath.txt
  [ -f "$cp_file" ] || fail "no $cp_file: run gradle :java:testClasspathFile first"
  local java="$sysroot/usr/lib/jvm/java-17-openjdk-arm64/bin/java"
  # The sim runs natively (qemu-user hands an execve of an x86-64 program to the kernel).
  [ -x target/debug/freshcreds-sim ] || cargo build -q -p freshcreds-sim
  local out="$work/arm64-junit.txt" tmp="$work/arm64-tmp"
  mkdir -p "$tmp"
  # FORK: the JDK's default posix_spawn runs its arm64 jspawnhelper, which the kernel cannot
  # execute without binfmt_misc; a plain fork + exec starts the x86-64 simulator natively.
  if ! env -u JAVA_TOOL_OPTIONS qemu-aarch64-static -L "$sysroot" "$java" \
      -Djdk.lang.Process.launchMechanism=FORK \
      -Dfreshcreds.sim="$PWD/target/debug/freshcreds-sim" -Djava.io.tmpdir="$tmp" \
      -cp "$(cat "$cp_file")" org.junit.runner.JUnitCore "${ARM64_JAVA_TESTS[@]}" >"$out" 2>&1; then
    grep -A15 '^[0-9]*) ' "$out" | head -80 >&2
    fail "linux-aarch64: Java tests failed in the arm64 JVM"
  fi
  grep -q '^OK (' "$out" || { tail -30 "$out" >&2; fail "linux-aarch64: JUnit did not report OK"; }
  # The library the arm64 JVM loaded is the linux-aarch64 one (extracted under its hash).
  local hash
  hash="$(awk '$2 == "linux-aarch64/libfreshcreds.so" {print substr($1, 1, 16)}' "$n/SHA256SUMS")"
  ls "$tmp"/freshcreds-*/"libfreshcreds-$hash.so" >/dev/null 2>&1 ||
    fail "linux-aarch64: the arm64 JVM did not load native/linux-aarch64/libfreshcreds.so ($(find "$tmp" -printf '%P ')))"
  log "linux-aarch64: $(grep '^OK (' "$out") (${ARM64_JAVA_TESTS[*]}) in Debian's arm64 OpenJDK under qemu, with native/linux-aarch64/libfreshcreds.so"
}

wants glibc && timed check_glibc
wants symbols && timed check_symbols
wants musl && timed check_musl
wants windows && timed check_windows
wants arm64 && timed check_arm64
log "done: $only"
