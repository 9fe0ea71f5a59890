#!/usr/bin/env bash
# Starts a private PostgreSQL server for the test suite (installing Debian's package if it is
# missing) and prints its URL. Data lives in $PGTEST_DIR (default /tmp/salesrelay-pg).
set -euo pipefail
PORT=${PGTEST_PORT:-54329}
DIR=${PGTEST_DIR:-/tmp/salesrelay-pg}

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bindir" ] || [ ! -x "$bindir/postgres" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
  bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi

as_postgres() {
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi
}

if ! as_postgres "$bindir/pg_isready -q -h 127.0.0.1 -p $PORT"; then
  mkdir -p "$DIR"
  [ "$(id -u)" = 0 ] && chown postgres "$DIR"
  if [ ! -f "$DIR/PG_VERSION" ]; then
    as_postgres "$bindir/initdb -D $DIR -U postgres --auth=trust >/dev/null" >&2
  fi
  as_postgres "$bindir/pg_ctl -D $DIR -l $DIR/server.log -w -o '-p $PORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200' start" >&2
fi
as_postgres "$bindir/psql -h 127.0.0.1 -p $PORT -U postgres -tAc \"SELECT 1 FROM pg_database WHERE datname='salesrelay_test'\"" | grep -q 1 \
  || as_postgres "$bindir/createdb -h 127.0.0.1 -p $PORT -U postgres salesrelay_test"
echo "postgresql+psycopg://postgres@127.0.0.1:$PORT/salesrelay_test"
