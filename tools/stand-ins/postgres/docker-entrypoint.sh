#!/usr/bin/env bash
# Entrypoint of the postgres STAND-IN image (tools/stand-ins/postgres), written for this project from
# the official postgres image's documented behaviour (Docker Hub: "How to extend this image",
# "Environment Variables", "Docker Secrets"). See the Dockerfile for the contract it keeps.
# No -u: scripts in /docker-entrypoint-initdb.d that end in .sh (not executable) are sourced here.
set -Eeo pipefail

log() { printf '%s [entrypoint] %s\n' "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" "$*"; }

# NAME from $NAME or from the file named by $NAME_FILE (Docker secrets); never both.
from_var_or_file() {
    local name=$1 default=${2:-} file_name="${1}_FILE" value
    if [ -n "${!name:-}" ] && [ -n "${!file_name:-}" ]; then
        log "error: $name and $file_name are both set; give one of them"
        exit 1
    fi
    value=$default
    if [ -n "${!name:-}" ]; then
        value=${!name}
    elif [ -n "${!file_name:-}" ]; then
        value=$(<"${!file_name}")
    fi
    export "$name=$value"
    unset "$file_name"
}

# Only options (or nothing): they are the server's.
if [ $# -eq 0 ] || [ "${1#-}" != "$1" ]; then
    set -- postgres "$@"
fi
# Any other command (psql, bash, ...) runs as it is.
if [ "$1" != postgres ]; then
    exec "$@"
fi

: "${PGDATA:=/var/lib/postgresql/data}"
export PGDATA

# Started as root: own the data and socket folders, then run again as the user postgres.
if [ "$(id -u)" = 0 ]; then
    mkdir -p "$PGDATA" /var/run/postgresql
    find "$PGDATA" \! -user postgres -exec chown postgres:postgres '{}' +
    chmod 0700 "$PGDATA" || true
    chown postgres:postgres /var/run/postgresql
    chmod 3777 /var/run/postgresql
    exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    from_var_or_file POSTGRES_PASSWORD
    from_var_or_file POSTGRES_USER postgres
    from_var_or_file POSTGRES_DB "$POSTGRES_USER"
    from_var_or_file POSTGRES_INITDB_ARGS
    auth=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}
    if [ -z "$POSTGRES_PASSWORD" ] && [ "$auth" != trust ]; then
        log "error: the data folder is empty and no superuser password is given."
        log "       Set POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE (or POSTGRES_HOST_AUTH_METHOD=trust,"
        log "       which lets anyone who reaches the port in without a password)."
        exit 1
    fi

    log "initializing a new cluster in $PGDATA for the superuser $POSTGRES_USER"
    initdb_args=(--username="$POSTGRES_USER")
    if [ -n "${POSTGRES_INITDB_WALDIR:-}" ]; then
        initdb_args+=(--waldir="$POSTGRES_INITDB_WALDIR")
    fi
    eval "initdb_args+=($POSTGRES_INITDB_ARGS)"   # may hold quoted words
    if [ -n "$POSTGRES_PASSWORD" ]; then
        # The password through a pipe, never on a command line or in a file.
        initdb "${initdb_args[@]}" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD")
    else
        initdb "${initdb_args[@]}"
    fi

    # Local connections stay trusted (initdb's default); every other host by password.
    {
        echo
        echo "# from the stand-in entrypoint: connections from any host, authenticated"
        echo "host all all all $auth"
    } >>"$PGDATA/pg_hba.conf"

    # A temporary server on the unix socket only: nothing reaches it over TCP (a TCP health check
    # passes only once the real server runs, after the scripts below).
    log "starting a temporary server (unix socket only) for the first-start setup"
    pg_ctl -D "$PGDATA" -w -o "-c listen_addresses='' -p ${PGPORT:-5432}" start

    export PGPASSWORD="${PGPASSWORD:-$POSTGRES_PASSWORD}"
    psql_admin=(psql -v ON_ERROR_STOP=1 --no-psqlrc --no-password --username "$POSTGRES_USER")
    if [ "$POSTGRES_DB" != postgres ]; then
        log "creating the database $POSTGRES_DB"
        "${psql_admin[@]}" --dbname postgres --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";'
    fi
    psql_db=("${psql_admin[@]}" --dbname "$POSTGRES_DB")

    shopt -s nullglob
    for f in /docker-entrypoint-initdb.d/*; do
        case "$f" in
            *.sh)
                if [ -x "$f" ]; then log "running $f"; "$f"; else log "sourcing $f"; . "$f"; fi ;;
            *.sql) log "running $f"; "${psql_db[@]}" -f "$f" ;;
            *.sql.gz) log "running $f"; gzip -dc "$f" | "${psql_db[@]}" ;;
            *.sql.xz) log "running $f"; xz -dc "$f" | "${psql_db[@]}" ;;
            *.sql.zst) log "running $f"; zstd -dc "$f" | "${psql_db[@]}" ;;
            *) log "ignoring $f" ;;
        esac
    done
    shopt -u nullglob

    pg_ctl -D "$PGDATA" -m fast -w stop
    unset PGPASSWORD
    log "first-start setup done; starting the server"
else
    log "$PGDATA holds a cluster already: no initialization, no init scripts"
fi

# The server is PID 1: docker stop's SIGINT (STOPSIGNAL) or a SIGTERM reach it directly.
exec "$@"
