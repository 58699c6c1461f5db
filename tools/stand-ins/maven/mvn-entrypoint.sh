#!/bin/sh
# Entrypoint of the maven STAND-IN image (tools/stand-ins/maven), written for this project from the
# official image's documentation: files under /usr/share/maven/ref/ (e.g. a settings.xml baked into
# a derived image) are copied into MAVEN_CONFIG (/root/.m2) unless there already; then the command.
set -eu

ref=/usr/share/maven/ref
dest=${MAVEN_CONFIG:-$HOME/.m2}
if [ -d "$ref" ] && [ -n "$(find "$ref" -mindepth 1 -print -quit)" ]; then
    mkdir -p "$dest"
    (cd "$ref" && find . -type f) | while read -r f; do
        [ -e "$dest/$f" ] && continue
        mkdir -p "$(dirname "$dest/$f")"
        cp "$ref/$f" "$dest/$f"
    done
fi

exec "$@"
