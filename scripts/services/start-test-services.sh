#!/usr/bin/env bash
# Starts a private PostgreSQL and Redis on loopback for the scale-out tests and prints the settings to
# export. Idempotent: a server already running from an earlier call is reused. Data lives under
# ${WEBVM_TEST_SERVICES:-/tmp/webvm-test-services} and is thrown away with it.
#   eval "$(scripts/services/start-test-services.sh)"
set -euo pipefail

root="${WEBVM_TEST_SERVICES:-/tmp/webvm-test-services}"
pg_port="${WEBVM_TEST_PG_PORT:-55432}"
redis_port="${WEBVM_TEST_REDIS_PORT:-56379}"
pg_bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
mkdir -p "$root"

# PostgreSQL refuses to run as root: the cluster belongs to the 'postgres' user Debian's package made.
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
    as_pg=(runuser -u postgres --)
    chown postgres "$root"
fi

if ! "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$pg_port"; then
    if [ ! -f "$root/pg/PG_VERSION" ]; then
        echo "[services] creating a PostgreSQL cluster in $root/pg" >&2
        "${as_pg[@]}" "$pg_bin/initdb" -D "$root/pg" -U webvm --auth=trust -E UTF8 >/dev/null
    fi
    echo "[services] starting PostgreSQL on 127.0.0.1:$pg_port" >&2
    "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$root/pg" -l "$root/pg.log" -w \
        -o "-p $pg_port -k $root -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off" start >/dev/null
fi

if ! redis-cli -h 127.0.0.1 -p "$redis_port" ping >/dev/null 2>&1; then
    echo "[services] starting Redis on 127.0.0.1:$redis_port" >&2
    redis-server --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no --daemonize yes \
        --logfile "$root/redis.log" --dir "$root" >/dev/null
    for _ in $(seq 50); do redis-cli -h 127.0.0.1 -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
fi

echo "export WEBVM_TEST_POSTGRES='Host=127.0.0.1;Port=$pg_port;Username=webvm;Database=postgres'"
echo "export WEBVM_TEST_REDIS='127.0.0.1:$redis_port'"
