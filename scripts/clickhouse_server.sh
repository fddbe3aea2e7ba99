#!/usr/bin/env bash
# A private ClickHouse server for tests and benchmarks (issue 9): its own config, users and data under DIR,
# listening on 127.0.0.1 only, started in the background and stopped by the PID it recorded.
#
#   scripts/clickhouse_server.sh start DIR PORT [SHARD_TCP_PORT...]
#   scripts/clickhouse_server.sh stop DIR
#   scripts/clickhouse_server.sh install            (apt-get install when missing; exit 1 when impossible)
#
# PORT is the HTTP interface; the native TCP port (clickhouse-client, Distributed tables) is PORT+1.
# With SHARD_TCP_PORTs the config gets a `remote_servers` cluster named `logpipe`: one shard per port on
# 127.0.0.1 (two servers started with the same list form a two-shard cluster).
# Users: `default` (no password) and `logpipe` (password `logpipe-secret`), both loopback only.
# `start` waits until the server answers `SELECT 1` (30 s) and prints its PID; exit 1 when it does not.
set -euo pipefail

install_server() {
  if command -v clickhouse-server > /dev/null && command -v clickhouse-client > /dev/null; then return 0; fi
  if [ "$(id -u)" != 0 ]; then echo "clickhouse-server is not installed and we are not root" >&2; return 1; fi
  # The package's own service must not start: policy-rc.d refuses it in containers; --no-triggers keeps it quick.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q clickhouse-server clickhouse-client > /dev/null 2>&1 ||
    { apt-get update -q > /dev/null 2>&1 &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q clickhouse-server clickhouse-client > /dev/null 2>&1; } ||
    { echo "cannot apt-get install clickhouse-server" >&2; return 1; }
}

write_config() {
  local dir=$1 port=$2; shift 2
  local tcp=$((port + 1))
  mkdir -p "$dir/data" "$dir/tmp" "$dir/user_files" "$dir/format_schemas" "$dir/log"
  local cluster=""
  if [ $# -gt 0 ]; then
    cluster="<remote_servers><logpipe>"
    for p in "$@"; do
      cluster+="<shard><replica><host>127.0.0.1</host><port>$p</port></replica></shard>"
    done
    cluster+="</logpipe></remote_servers>"
  fi
  cat > "$dir/config.xml" <<EOF
<?xml version="1.0"?>
<yandex>
    <logger>
        <level>warning</level>
        <log>$dir/log/server.log</log>
        <errorlog>$dir/log/server.err.log</errorlog>
        <size>10M</size>
        <count>2</count>
    </logger>
    <http_port>$port</http_port>
    <tcp_port>$tcp</tcp_port>
    <listen_host>127.0.0.1</listen_host>
    <max_connections>256</max_connections>
    <keep_alive_timeout>10</keep_alive_timeout>
    <max_concurrent_queries>100</max_concurrent_queries>
    <uncompressed_cache_size>268435456</uncompressed_cache_size>
    <mark_cache_size>268435456</mark_cache_size>
    <path>$dir/data/</path>
    <tmp_path>$dir/tmp/</tmp_path>
    <user_files_path>$dir/user_files/</user_files_path>
    <format_schema_path>$dir/format_schemas/</format_schema_path>
    <users_config>$dir/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <mlock_executable>false</mlock_executable>
    <builtin_dictionaries_reload_interval>3600</builtin_dictionaries_reload_interval>
    <max_session_timeout>3600</max_session_timeout>
    <default_session_timeout>60</default_session_timeout>
    $cluster
</yandex>
EOF
  cat > "$dir/users.xml" <<EOF
<?xml version="1.0"?>
<yandex>
    <profiles>
        <default>
            <max_memory_usage>4000000000</max_memory_usage>
            <load_balancing>random</load_balancing>
            <insert_distributed_sync>0</insert_distributed_sync>
        </default>
    </profiles>
    <users>
        <default>
            <password></password>
            <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
        <logpipe>
            <password>logpipe-secret</password>
            <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
        </logpipe>
    </users>
    <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>
        <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
EOF
}

answers() { # PORT: the HTTP interface answers SELECT 1
  [ "$(curl -fsS --max-time 2 "http://127.0.0.1:$1/?query=SELECT%201" 2> /dev/null)" = "1" ]
}

start() {
  local dir port
  dir=$(mkdir -p "$1" && cd "$1" && pwd); port=$2; shift 2
  install_server
  if [ -s "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2> /dev/null; then
    echo "already running (pid $(cat "$dir/pid"))" >&2; exit 1
  fi
  write_config "$dir" "$port" "$@"
  # setsid + nohup: the server outlives this script and its terminal, but we keep its PID to stop it.
  (cd "$dir" && exec setsid nohup clickhouse-server --config-file="$dir/config.xml" \
     > "$dir/log/stdout.log" 2>&1 < /dev/null) &
  echo $! > "$dir/pid"
  for _ in $(seq 300); do
    if answers "$port"; then cat "$dir/pid"; return 0; fi
    if ! kill -0 "$(cat "$dir/pid")" 2> /dev/null; then break; fi
    sleep 0.1
  done
  echo "clickhouse-server in $dir did not come up on port $port; log:" >&2
  tail -20 "$dir/log/server.err.log" "$dir/log/stdout.log" >&2 2> /dev/null || true
  stop "$dir"
  exit 1
}

stop() {
  local dir=$1
  [ -s "$dir/pid" ] || return 0
  local pid; pid=$(cat "$dir/pid")
  if kill -0 "$pid" 2> /dev/null; then
    kill -TERM "$pid" 2> /dev/null || true
    for _ in $(seq 150); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2> /dev/null && kill -KILL "$pid" 2> /dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
  fi
  rm -f "$dir/pid"
}

case "${1:-}" in
  install) install_server ;;
  start) [ $# -ge 3 ] || { echo "usage: $0 start DIR PORT [SHARD_TCP_PORT...]" >&2; exit 2; }; shift; start "$@" ;;
  stop) [ $# -ge 2 ] || { echo "usage: $0 stop DIR" >&2; exit 2; }; stop "$2" ;;
  *) echo "usage: $0 install | start DIR PORT [SHARD_TCP_PORT...] | stop DIR" >&2; exit 2 ;;
esac
