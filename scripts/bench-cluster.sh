#!/usr/bin/env bash
# Broker cluster figures (docs/benchmarks.md "Broker cluster"):
#   1. request/reply p50 on one broker, on a 2-node cluster with the echo unit on the
#      requester's node, and with it on the other node (`modt bench rtt --external-echo`);
#   2. fail-over after a SIGKILL of the node the echo unit uses, on 3 nodes and on 2 nodes:
#      the time until `modt req` from a client on a surviving node is answered again.
# Loopback only; ports 21883, 21891-21893 (MQTT) and 21981-21983 (cluster) must be free.
# Usage: scripts/bench-cluster.sh [MODT_BINARY] [ROUNDS]
set -u
M=${1:-target/release/modt}
M=$(realpath "$M")
ROUNDS=${2:-3}
W=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$W"' EXIT
cd "$W"

node() { # ID MQTT_PORT PEERS → pid
  "$M" broker serve --allow-anonymous --listen "127.0.0.1:$2" \
    --cluster-node "$1" --cluster-peers "$3" >"node$1.log" 2>&1 &
  echo $!
}
echo_on() { # BROKERS → pid
  "$M" unit echo --broker "$1" >echo.log 2>&1 &
  echo $!
}
rtt() { # MQTT_PORT of the requester's broker
  timeout 120 "$M" bench rtt --broker "127.0.0.1:$1" --external-echo 2>&1 |
    grep -E "^(bare relay|request/reply)"
}
stop() { kill "$@" 2>/dev/null; wait "$@" 2>/dev/null; }
failover() { # NODES
  local peers="" pids=() brokers=""
  for i in $(seq 1 "$1"); do peers+="${peers:+,}$i@127.0.0.1:$((21980 + i))"; done
  for i in $(seq 1 "$1"); do pids+=("$(node "$i" $((21890 + i)) "$peers")"); done
  sleep 5
  brokers="127.0.0.1:21892,127.0.0.1:21891"
  [ "$1" -ge 3 ] && brokers+=",127.0.0.1:21893"
  local e
  e=$(echo_on "$brokers")
  sleep 3
  "$M" req --broker 127.0.0.1:21891 --timeout 2s modt/echo '{}' >/dev/null ||
    echo "not answering before the kill"
  local t0 t1
  t0=$(date +%s.%N)
  kill -9 "${pids[1]}"
  until "$M" req --broker 127.0.0.1:21891 --timeout 500ms modt/echo '{}' >/dev/null 2>&1; do :; done
  t1=$(date +%s.%N)
  echo "$1 nodes: requests flow again $(echo "$t1 - $t0" | bc) s after the kill"
  stop "$e" "${pids[@]}"
}

for r in $(seq 1 "$ROUNDS"); do
  echo "== round $r: one broker"
  "$M" broker serve --allow-anonymous --listen 127.0.0.1:21883 >single.log 2>&1 &
  B=$!
  sleep 1
  E=$(echo_on 127.0.0.1:21883)
  sleep 2
  rtt 21883
  stop "$E" "$B"
  P="1@127.0.0.1:21981,2@127.0.0.1:21982"
  N1=$(node 1 21891 "$P")
  N2=$(node 2 21892 "$P")
  sleep 4
  echo "== round $r: 2-node cluster, unit on the requester's node"
  E=$(echo_on 127.0.0.1:21891)
  sleep 3
  rtt 21891
  stop "$E"
  echo "== round $r: 2-node cluster, unit on the other node"
  E=$(echo_on 127.0.0.1:21892)
  sleep 3
  rtt 21891
  stop "$E" "$N1" "$N2"
done
for r in $(seq 1 "$ROUNDS"); do
  echo "== fail-over round $r"
  failover 3
  failover 2
done
uptime
