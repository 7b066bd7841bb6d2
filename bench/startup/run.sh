#!/usr/bin/env bash
# Start-up benchmark: native library load and first credentials, each run in a fresh JVM, medians.
#
#   bench/startup/run.sh [--jar JAR] [--baseline OTHER_JAR] [--runs N]
#
# JAR defaults to the Gradle build's java/build/libs/freshcreds-*.jar. With --baseline, every
# run of JAR is paired with a run of OTHER_JAR right before it (same machine, same moment), and
# both are reported with the ratio of their medians. Two series of N runs
# (default 15) of StartupProbe against the simulator's IMDS on 127.0.0.1:
#   cold   every JVM gets an empty java.io.tmpdir, so the library is extracted each time
#          (what every JVM paid before extracted files were reused);
#   warm   one shared java.io.tmpdir, primed by one unmeasured run: the library is already
#          extracted and only loaded (every JVM after the first on a host);
# and prints min / median / max of load_ms and first_credentials_ms per series.
set -euo pipefail
cd "$(dirname "$0")/../.."

jar=""
baseline=""
runs=15
while [ $# -gt 0 ]; do
  case "$1" in
    --jar) jar="$2"; shift ;;
    --baseline) baseline="$2"; shift ;;
    --runs) runs="$2"; shift ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$jar" ] || jar="$(ls java/build/libs/freshcreds-*.jar | grep -v -- '-sources\|-javadoc\|-global' | head -1)"
[ -f "$jar" ] || { echo "run.sh: no jar $jar (gradle :java:jar builds it)" >&2; exit 1; }
[ -z "$baseline" ] || [ -f "$baseline" ] || { echo "run.sh: no baseline jar $baseline" >&2; exit 1; }
# An optimized simulator, so that the first-credentials figure is the client's time, not a debug
# server's.
sim=target/release/freshcreds-sim
[ -x "$sim" ] || cargo build -q --release -p freshcreds-sim

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
probe() { # jar, tmpdir
  java -Djava.io.tmpdir="$2" -cp "$1:$work/classes" StartupProbe "$url"
}

median() { # field, file
  sed -n "s/.*$1=\([0-9.]*\).*/\1/p" "$2" | sort -n |
    awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

stats() { # label, file with "load_ms=A first_credentials_ms=B" lines
  local f
  for f in load_ms first_credentials_ms; do
    sed -n "s/.*$f=\([0-9.]*\).*/\1/p" "$2" | sort -n | awk -v label="$1" -v f="$f" '
      { v[NR] = $1 }
      END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
            printf "%-14s %-21s n=%d  min %7.2f  median %7.2f  max %7.2f ms\n", label, f, NR, v[1], m, v[NR] }'
  done
}

series() { # name ("cold": a fresh tmpdir per run; "warm": one primed tmpdir per jar)
  local i j label
  if [ "$1" = warm ]; then
    for j in jar baseline; do
      [ -n "${!j}" ] || continue
      mkdir -p "$work/warm-$j"
      probe "${!j}" "$work/warm-$j" >/dev/null
    done
  fi
  for i in $(seq 1 "$runs"); do
    for j in baseline jar; do
      [ -n "${!j}" ] || continue
      if [ "$1" = cold ]; then
        mkdir -p "$work/cold-$j-$i"
        probe "${!j}" "$work/cold-$j-$i" >>"$work/$1-$j.txt"
      else
        probe "${!j}" "$work/warm-$j" >>"$work/$1-$j.txt"
      fi
    done
  done
  [ -z "$baseline" ] || stats "$1 baseline" "$work/$1-baseline.txt"
  stats "$1" "$work/$1-jar.txt"
  if [ -n "$baseline" ]; then
    for f in load_ms first_credentials_ms; do
      awk -v l="$1" -v f="$f" -v a="$(median "$f" "$work/$1-jar.txt")" -v b="$(median "$f" "$work/$1-baseline.txt")" \
        'BEGIN { printf "%-14s %-21s median ratio jar/baseline %.2f\n", l, f, a / b }'
    done
  fi
}

echo "jar: $jar ($(wc -c <"$jar") bytes)${baseline:+; baseline: $baseline ($(wc -c <"$baseline") bytes)}; $(java -version 2>&1 | head -1); $runs runs per series; load average $(cut -d' ' -f1-3 /proc/loadavg)"
series cold
series warm
