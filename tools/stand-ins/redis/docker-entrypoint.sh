#!/usr/bin/env bash
# Entrypoint of the redis STAND-IN image (tools/stand-ins/redis), written for this project from the
# official redis image's documented behaviour. See the Dockerfile for the contract it keeps.
set -euo pipefail

# Options or a config file alone: they are redis-server's.
case "${1:-}" in
    -* | *.conf) set -- redis-server "$@" ;;
esac

if [ "${1:-}" = redis-server ]; then
    if [ "$(id -u)" = 0 ]; then
        # Started as root: the data folder belongs to redis, then run again as redis.
        find . \! -user redis -exec chown redis '{}' + 2>/dev/null || true
        exec setpriv --reuid=redis --regid=redis --init-groups "${BASH_SOURCE[0]}" "$@"
    fi
    # Debian's Redis starts in protected mode (only loopback clients without a password); the
    # official image's Redis does not. Turned off here unless a config file given first sets it;
    # a later --protected-mode on the command line still wins.
    if [ $# -ge 2 ] && [ "${2#-}" = "$2" ] && [ -f "$2" ]; then
        if ! grep -qiE '^[[:space:]]*protected-mode[[:space:]]' "$2"; then
            set -- "$1" "$2" --protected-mode no "${@:3}"
        fi
    else
        set -- "$1" --protected-mode no "${@:2}"
    fi
    # Files it writes (dump.rdb, appendonly) readable by the user redis only.
    [ "$(umask)" = 0022 ] && umask 0077
fi

exec "$@"
