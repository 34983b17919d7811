#!/usr/bin/env bash
# Entrypoint of the postgres stand-in image (postgres.Dockerfile): what the official image's
# docker-entrypoint.sh does that docker-compose.yml relies on. On an empty PGDATA: initdb with
# POSTGRES_USER (default postgres) and POSTGRES_PASSWORD (required unless
# POSTGRES_HOST_AUTH_METHOD=trust) plus POSTGRES_INITDB_ARGS, password logins from any address
# (scram-sha-256), the database POSTGRES_DB (default: the user's name), then every
# /docker-entrypoint-initdb.d/*.sql, *.sql.gz and *.sh once, in name order, on a server that
# listens on its unix socket only. Then `postgres` as the postgres user, in the foreground.
set -Eeuo pipefail

if [[ "${1:0:1}" == '-' ]]; then set -- postgres "$@"; fi

if [[ "$1" == postgres && "$(id -u)" == 0 ]]; then
  mkdir -p "$PGDATA"
  chown postgres:postgres "$PGDATA"
  chmod 700 "$PGDATA"
  install -d -m 3777 -o postgres -g postgres /var/run/postgresql
  exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
fi

if [[ "$1" == postgres && ! -s "$PGDATA/PG_VERSION" ]]; then
  : "${POSTGRES_USER:=postgres}" "${POSTGRES_DB:=$POSTGRES_USER}"
  auth="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}"
  if [[ -z "${POSTGRES_PASSWORD:-}" && "$auth" != trust ]]; then
    echo 'error: the database is uninitialized and POSTGRES_PASSWORD is not set' >&2
    exit 1
  fi
  # A file, not <(...): the container may have no /dev/fd.
  pwfile="$(umask 077 && mktemp)"
  printf '%s\n' "${POSTGRES_PASSWORD:-}" > "$pwfile"
  pwarg=()
  if [[ -n "${POSTGRES_PASSWORD:-}" ]]; then pwarg=(--pwfile="$pwfile"); fi
  # shellcheck disable=SC2086  # the official image splits POSTGRES_INITDB_ARGS too
  initdb --username="$POSTGRES_USER" "${pwarg[@]}" ${POSTGRES_INITDB_ARGS:-}
  rm -f "$pwfile"
  printf '\nhost all all all %s\n' "$auth" >> "$PGDATA/pg_hba.conf"
  printf "\nlisten_addresses = '*'\n" >> "$PGDATA/postgresql.conf"

  pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p 5432" -w start
  psql=(psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc)
  if [[ "$POSTGRES_DB" != postgres ]]; then
    "${psql[@]}" --dbname postgres --set db="$POSTGRES_DB" <<< 'CREATE DATABASE :"db";'
  fi
  for file in /docker-entrypoint-initdb.d/*; do
    [[ -e "$file" ]] || continue
    case "$file" in
      *.sh) echo "running $file"; if [[ -x "$file" ]]; then "$file"; else source "$file"; fi ;;
      *.sql) echo "running $file"; "${psql[@]}" --dbname "$POSTGRES_DB" -f "$file" ;;
      *.sql.gz) echo "running $file"; gunzip -c "$file" | "${psql[@]}" --dbname "$POSTGRES_DB" ;;
      *) echo "ignoring $file" ;;
    esac
  done
  pg_ctl -D "$PGDATA" -m fast -w stop
  echo 'PostgreSQL init process complete; ready for start up.'
fi

exec "$@"
