#!/usr/bin/env bash
# Start-up benchmark: native library load and first credentials, each run in a fresh JVM, medians.
#
#   bench/startup/run.sh [--jar JAR] [--runs N]
#
# JAR defaults to the Gradle build's java/build/libs/freshcreds-*.jar. Three series of N runs
# (default 15) of StartupProbe against the simulator's IMDS on 127.0.0.1:
#   cold   every JVM gets an empty java.io.tmpdir, so the library is extracted each time
#          (what every JVM paid before extracted files were reused);
#   warm   one shared java.io.tmpdir, primed by one unmeasured run: the library is already
#          extracted and only loaded (every JVM after the first on a host);
# and prints min / median / max of load_ms and first_credentials_ms per series.
set -euo pipefail
cd "$(dirname "$0")/../.."

jar=""
runs=15
while [ $# -gt 0 ]; do
  case "$1" in
    --jar) jar="$2"; shift ;;
    --runs) runs="$2"; shift ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$jar" ] || jar="$(ls java/build/libs/freshcreds-*.jar | grep -v -- '-sources\|-javadoc' | head -1)"
[ -f "$jar" ] || { echo "run.sh: no jar $jar (gradle :java:jar builds it)" >&2; exit 1; }
sim=target/release/freshcreds-sim
[ -x "$sim" ] || sim=target/debug/freshcreds-sim
[ -x "$sim" ] || { cargo build -q -p freshcreds-sim; sim=target/debug/freshcreds-sim; }

work="$(mktemp -d)"
trap 'kill "$sim_pid" 2>/dev/null; rm -rf "$work"' EXIT
"$sim" --port 0 >"$work/sim.out" 2>"$work/sim.err" &
sim_pid=$!
for _ in $(seq 1 100); do
  url="$(sed -n 's/^freshcreds-sim listening on //p' "$work/sim.out" | head -1)"
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { cat "$work/sim.err" >&2; exit 1; }

javac -d "$work/classes" -cp "$jar" bench/startup/StartupProbe.java
probe() { # tmpdir
  java -Djava.io.tmpdir="$1" -cp "$jar:$work/classes" StartupProbe "$url"
}

stats() { # label, file with "load_ms=A first_credentials_ms=B" lines
  local f
  for f in load_ms first_credentials_ms; do
    sed -n "s/.*$f=\([0-9.]*\).*/\1/p" "$2" | sort -n | awk -v label="$1" -v f="$f" '
      { v[NR] = $1 }
      END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
            printf "%-5s %-21s n=%d  min %7.2f  median %7.2f  max %7.2f ms\n", label, f, NR, v[1], m, v[NR] }'
  done
}

echo "jar: $jar ($(wc -c <"$jar") bytes); $(java -version 2>&1 | head -1); $runs runs per series; load average $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq 1 "$runs"); do
  mkdir -p "$work/cold-$i"
  probe "$work/cold-$i" >>"$work/cold.txt"
done
mkdir -p "$work/warm"
probe "$work/warm" >/dev/null
for i in $(seq 1 "$runs"); do
  probe "$work/warm" >>"$work/warm.txt"
done
stats cold "$work/cold.txt"
stats warm "$work/warm.txt"
