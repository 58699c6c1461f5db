#!/bin/sh
# nginx STAND-IN image: renders NGINX_ENVSUBST_TEMPLATE_DIR (/etc/nginx/templates)/*.template into
# NGINX_ENVSUBST_OUTPUT_DIR (/etc/nginx/conf.d), substituting ${VAR} for the environment's variables
# only (nginx's own $variables stay). NGINX_ENVSUBST_TEMPLATE_SUFFIX changes ".template".
set -eu

dir=${NGINX_ENVSUBST_TEMPLATE_DIR:-/etc/nginx/templates}
suffix=${NGINX_ENVSUBST_TEMPLATE_SUFFIX:-.template}
out=${NGINX_ENVSUBST_OUTPUT_DIR:-/etc/nginx/conf.d}

[ -d "$dir" ] || exit 0
[ -n "$(find "$dir" -follow -type f -name "*$suffix" -print -quit)" ] || exit 0
if [ ! -w "$out" ]; then
    echo "$0: $out is not writable: templates in $dir not rendered" >&2
    exit 0
fi
vars=$(env | sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)=.*/${\1}/p' | tr '\n' ' ')
find "$dir" -follow -type f -name "*$suffix" | while read -r template; do
    rel=${template#"$dir"/}
    target="$out/${rel%"$suffix"}"
    mkdir -p "$(dirname "$target")"
    [ -n "${NGINX_ENTRYPOINT_QUIET_LOGS:-}" ] || echo "$0: $template -> $target" >&2
    envsubst "$vars" <"$template" >"$target"
done
