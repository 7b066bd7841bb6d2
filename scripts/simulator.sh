# shellcheck shell=bash
# Sourced by scripts that need the local AWS simulator (maven-example.sh, check-min-sdks.sh):
# `start_simulator NAME` builds freshcreds-sim, makes a work directory ($work, removed on exit
# with the simulator stopped), starts the simulator on a free port and sets $url to its base URL.
# NAME prefixes the error messages. Exits non-zero when the simulator does not come up in 10 s.

start_simulator() {
  local name="$1"
  cargo build -q -p freshcreds-sim
  work="$(mktemp -d)"
  sim_pid=""
  trap 'stop_simulator' EXIT
  target/debug/freshcreds-sim --port 0 --port-file "$work/port" >"$work/sim.out" 2>"$work/sim.err" &
  sim_pid=$!
  # The simulator writes the port file once it listens (a few milliseconds; at most 10 s here).
  for _ in $(seq 1 100); do
    [ -s "$work/port" ] && break
    kill -0 "$sim_pid" 2>/dev/null || { cat "$work/sim.err" >&2; echo "$name: the simulator exited" >&2; exit 1; }
    sleep 0.1
  done
  [ -s "$work/port" ] || { echo "$name: the simulator did not start within 10 s" >&2; exit 1; }
  # shellcheck disable=SC2034 # read by the scripts that source this file
  url="http://127.0.0.1:$(cat "$work/port")"
}

# `sim_admin METHOD PATH` calls the simulator's admin API (bash's /dev/tcp, so no HTTP client is
# needed) and prints the answer's body; fails on a status other than 200.
sim_admin() {
  local method="$1" path="$2" answer status
  exec 3<>"/dev/tcp/127.0.0.1/${url##*:}"
  printf '%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n' "$method" "$path" >&3
  answer="$(cat <&3)"
  exec 3<&-
  status="$(head -1 <<<"$answer" | tr -d '\r')"
  [[ "$status" == "HTTP/1."?" 200 "* ]] || { echo "sim_admin $method $path: $status" >&2; return 1; }
  printf '%s\n' "${answer#*$'\r\n\r\n'}"
}

# `sim_count NAME` prints one counter of GET /_sim/counts; fails when there is no such counter
# (a renamed counter must not read as 0).
sim_count() {
  local counts value
  counts="$(sim_admin GET /_sim/counts)"
  value="$(grep -oE "\"$1\":[0-9]+" <<<"$counts" | cut -d: -f2)"
  [ -n "$value" ] || { echo "sim_count: no counter '$1' in $counts" >&2; return 1; }
  echo "$value"
}

stop_simulator() {
  [ -z "${sim_pid:-}" ] || kill "$sim_pid" 2>/dev/null || true
  [ -z "${work:-}" ] || rm -rf "$work"
}
