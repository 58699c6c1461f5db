#!/bin/sh
# Entrypoint of the eclipse-temurin STAND-IN image (tools/stand-ins/temurin-jre), written for this
# project from the official image's documentation: with USE_SYSTEM_CA_CERTS set, the certificates
# mounted in /certificates/ (*.crt) are added to the system's and Java's truststores first (needs
# root). Then the command runs.
set -eu

if [ -n "${USE_SYSTEM_CA_CERTS:-}" ]; then
    if [ "$(id -u)" = 0 ]; then
        found=0
        for crt in /certificates/*.crt; do
            [ -f "$crt" ] || continue
            cp "$crt" /usr/local/share/ca-certificates/
            found=1
        done
        [ "$found" = 0 ] || update-ca-certificates >/dev/null
    else
        echo "$0: USE_SYSTEM_CA_CERTS needs root: certificates in /certificates not added" >&2
    fi
fi

exec "$@"
