#!/usr/bin/env bash
# A throwaway PostgreSQL for the tests, from Debian's packages, on 127.0.0.1 only.
#   scripts/pg.sh start   start it (initialising it on first use) and print its URL
#   scripts/pg.sh stop    stop it
#   scripts/pg.sh url     print the URL of the test database
# The data lives in /tmp (owned by the postgres user when run as root: PostgreSQL refuses to run as root).
set -euo pipefail
cd "$(dirname "$0")/.."
project=$(pwd)
key=$(printf '%s' "$project" | cksum | cut -d' ' -f1)
port=$(( 40000 + key % 20000 ))
data=/tmp/eurogrants-pg-$key
url="postgresql+psycopg://eurogrants@127.0.0.1:$port/eurogrants_test"

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bindir" ]; then echo "pg: PostgreSQL is not installed (run scripts/setup.sh --test)" >&2; exit 1; fi

as_pg() {
  # From /: the postgres user may not be allowed into the project's folder (a private temporary clone).
  if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

case "${1:-start}" in
  start)
    if [ ! -f "$data/PG_VERSION" ]; then
      mkdir -p "$data"
      [ "$(id -u)" = 0 ] && chown postgres:postgres "$data"
      as_pg "$bindir/initdb" -D "$data" -U eurogrants --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    if ! as_pg "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
      # Durability settings off: a test database is thrown away, and the suite is faster for it.
      as_pg "$bindir/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 start \
        -o "-p $port -k $data -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" >/dev/null
    fi
    for db in eurogrants_test eurogrants_bench; do
      if ! as_pg "$bindir/psql" -h 127.0.0.1 -p "$port" -U eurogrants -d postgres -tAc \
          "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
        as_pg "$bindir/createdb" -h 127.0.0.1 -p "$port" -U eurogrants "$db"
      fi
    done
    echo "$url"
    ;;
  stop)
    as_pg "$bindir/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
    ;;
  restart)
    as_pg "$bindir/pg_ctl" -D "$data" -m fast -w restart >/dev/null
    ;;
  url)
    echo "$url"
    ;;
  *)
    echo "usage: scripts/pg.sh start|stop|restart|url" >&2; exit 2
    ;;
esac
