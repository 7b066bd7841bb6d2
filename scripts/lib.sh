# shellcheck shell=bash
# Shared by the scripts (sourced, not run): how a failure is reported, the Gradle to use, and the
# project's Python tools. Each script sets FC_NAME (its name in messages) before sourcing this.
#
#   FRESHCREDS_GRADLE      the Gradle command to run (default: ./gradlew, else `gradle` on PATH)
#   FRESHCREDS_TOOLS_VENV  where the Python tools go (default: .tools/venv in the checkout)

FC_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FC_NAME="${FC_NAME:-freshcreds}"

fc_log() { printf '%s: %s\n' "$FC_NAME" "$*" >&2; }

# Stops with what was being done and the fix.
fc_die() { fc_log "$*"; exit 1; }

# `set -e` alone ends a script without a word: every failed command names itself, its file and line.
fc_on_error() {
  local status=$1 line=$2 file=$3 command=$4
  fc_log "failed (exit $status) at ${file#"$FC_ROOT"/} line $line: $command"
}
set -E
trap 'fc_on_error $? "$LINENO" "${BASH_SOURCE[0]}" "$BASH_COMMAND"' ERR

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    fc_die "needs root for: $* (no sudo here): run it as root, then this script again"
  fi
}

# Installs Debian packages, or names them when this is not a Debian-like machine.
fc_apt_install() { # package...
  command -v apt-get >/dev/null 2>&1 ||
    fc_die "missing: $*. This is not a Debian/Ubuntu machine: install the equivalent packages, then run this again"
  fc_log "installing $* (Debian packages)"
  if [ -z "${FC_APT_UPDATED:-}" ]; then
    as_root apt-get update -qq >&2 || fc_die "apt-get update failed (see above): fix the package sources, then run this again"
    FC_APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null ||
    fc_die "apt-get install $* failed (see above): install them by hand, then run this again"
}

# What the example and every build need: a JDK, a Rust toolchain and a C linker for it.
fc_require_jdk_and_rust() {
  { command -v java >/dev/null 2>&1 && command -v javac >/dev/null 2>&1; } ||
    fc_die "no JDK (java and javac on PATH): install one (8 or later; e.g. apt-get install openjdk-17-jdk-headless), then run this again"
  command -v cargo >/dev/null 2>&1 ||
    fc_die "no Rust toolchain (cargo on PATH): install it with rustup (https://rustup.rs), then run this again"
  command -v cc >/dev/null 2>&1 || fc_apt_install gcc libc6-dev
}

# Sets FC_GRADLE (an array) to the Gradle to run: FRESHCREDS_GRADLE, else the wrapper (Gradle
# 8.10.2, its download checked against distributionSha256Sum), else `gradle` on PATH (4.4 or
# later), else Debian's package. Each fallback says why.
fc_pick_gradle() {
  if [ -n "${FRESHCREDS_GRADLE:-}" ]; then
    FC_GRADLE=("$FRESHCREDS_GRADLE")
    return
  fi
  local probe
  probe="$(mktemp)"
  fc_log "starting Gradle through its wrapper (./gradlew; the first run downloads Gradle 8.10.2)"
  if (cd "$FC_ROOT" && ./gradlew --no-daemon --version) >"$probe" 2>&1; then
    rm -f "$probe"
    FC_GRADLE=("$FC_ROOT/gradlew")
    return
  fi
  local why
  why="$(grep -m1 -E 'Exception|rror' "$probe" || tail -1 "$probe")"
  rm -f "$probe"
  if command -v gradle >/dev/null 2>&1; then
    fc_log "the Gradle wrapper could not start (${why}); using $(command -v gradle) instead"
    FC_GRADLE=(gradle)
    return
  fi
  fc_log "the Gradle wrapper could not start (${why}) and no gradle is on PATH"
  fc_apt_install gradle
  FC_GRADLE=(gradle)
}

# A test whose tool is missing fails, unless FRESHCREDS_SKIP (a comma list: aws-cli, botocore,
# moto, wine) names the tool; then it prints "skipped: <test>: <why> (FRESHCREDS_SKIP=...)",
# appends that line to the file FRESHCREDS_SKIP_LOG names when it is set (scripts/test.sh counts
# them), and the caller returns. The Rust tests' side of the same rule is rust/sim/src/tools.rs.
fc_skip_allowed() { # tool
  local names="${FRESHCREDS_SKIP:-}"
  [[ ",${names// /}," == *",$1,"* ]]
}
fc_tool_missing() { # tool test why: returns 0 (skip) when allowed, else stops
  if fc_skip_allowed "$1"; then
    local line
    line="$(printf 'skipped: %s: %s (FRESHCREDS_SKIP=%s)' "$2" "$3" "${FRESHCREDS_SKIP:-}")"
    printf '%s\n' "$line"
    if [ -n "${FRESHCREDS_SKIP_LOG:-}" ]; then
      printf '%s\n' "$line" >>"$FRESHCREDS_SKIP_LOG" || fc_die "cannot append to FRESHCREDS_SKIP_LOG=$FRESHCREDS_SKIP_LOG"
    fi
    return 0
  fi
  fc_die "$2: $3. scripts/setup.sh installs $1; or set FRESHCREDS_SKIP=$1 to skip this test"
}

# Runs Gradle without a daemon and with plain output.
fc_gradle() {
  "${FC_GRADLE[@]}" --no-daemon --console=plain "$@"
}

# Puts the project's Python tools, pinned, into a virtual environment of the checkout (never into
# the system's Python, which Debian 12 and Ubuntu 24.04 refuse: PEP 668) and its bin first on PATH.
FC_VENV="${FRESHCREDS_TOOLS_VENV:-$FC_ROOT/.tools/venv}"
fc_python_tools() { # requirement...
  command -v python3 >/dev/null 2>&1 || fc_apt_install python3 python3-venv
  if [ ! -x "$FC_VENV/bin/python" ]; then
    fc_log "creating the tools' virtual environment ${FC_VENV#"$FC_ROOT"/}"
    if ! python3 -m venv "$FC_VENV" >/dev/null 2>&1; then
      rm -rf "$FC_VENV"
      fc_log "python3 -m venv failed: this Python has no venv module"
      fc_apt_install python3-venv
      python3 -m venv "$FC_VENV" || fc_die "python3 -m venv $FC_VENV failed (see above)"
    fi
  fi
  local missing=() r
  for r in "$@"; do
    "$FC_VENV/bin/python" - "$r" <<'EOF' >/dev/null 2>&1 || missing+=("$r")
import re, sys
from importlib import metadata
# name[extra,...]==version: that version, and every package its extras require, installed.
name, extras, version = re.match(r"([A-Za-z0-9_.-]+)(?:\[([^]]+)\])?==(.+)$", sys.argv[1]).groups()
if metadata.version(name) != version:
    sys.exit(1)
for extra in filter(None, (extras or "").split(",")):
    for req in metadata.requires(name) or []:
        if 'extra == "%s"' % extra in req:
            metadata.version(re.match(r"[A-Za-z0-9_.-]+", req).group(0))
EOF
  done
  if [ ${#missing[@]} -gt 0 ]; then
    fc_log "pip install ${missing[*]} (into ${FC_VENV#"$FC_ROOT"/})"
    "$FC_VENV/bin/python" -m pip install -q --disable-pip-version-check "${missing[@]}" >&2 ||
      fc_die "pip install ${missing[*]} failed (see above): check access to PyPI, then run this again"
  fi
  case ":$PATH:" in
    *":$FC_VENV/bin:"*) ;;
    *) export PATH="$FC_VENV/bin:$PATH" ;;
  esac
}

# Runs a command in a network namespace of its own whose only interface is loopback: a request to
# any other address (169.254.169.254 included) fails at once instead of leaving the machine.
fc_loopback_only() { # command...
  local unshare=(unshare -n)
  [ "$(id -u)" -eq 0 ] || unshare=(unshare -rn)
  if ! "${unshare[@]}" true 2>/dev/null; then
    fc_die "cannot create a network namespace (${unshare[*]} failed): run the test command as root, or enable unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1)"
  fi
  "${unshare[@]}" bash -c 'ip link set lo up && exec "$@"' loopback-only "$@"
}
