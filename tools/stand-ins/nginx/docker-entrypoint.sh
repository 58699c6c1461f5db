#!/bin/sh
# Entrypoint of the nginx STAND-IN image (tools/stand-ins/nginx), written for this project from the
# official nginx image's documented behaviour: before nginx (or nginx-debug) starts, the executable
# /docker-entrypoint.d/*.sh run in order and *.envsh are sourced; any other command runs as it is.
# NGINX_ENTRYPOINT_QUIET_LOGS=1 silences its own lines.
set -eu

say() { [ -n "${NGINX_ENTRYPOINT_QUIET_LOGS:-}" ] || echo "$0: $*" >&2; }

if [ "${1:-}" = nginx ] || [ "${1:-}" = nginx-debug ]; then
    if [ -d /docker-entrypoint.d ] && [ -n "$(find /docker-entrypoint.d -mindepth 1 -maxdepth 1 -print -quit)" ]; then
        for f in $(find /docker-entrypoint.d/ -follow -type f | sort -V); do
            case "$f" in
                *.envsh)
                    if [ -x "$f" ]; then say "sourcing $f"; . "$f"; else say "ignoring $f, not executable"; fi ;;
                *.sh)
                    if [ -x "$f" ]; then say "running $f"; "$f"; else say "ignoring $f, not executable"; fi ;;
                *) say "ignoring $f" ;;
            esac
        done
        say "configuration done; ready for start up"
    fi
fi

exec "$@"
