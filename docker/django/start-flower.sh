#!/bin/sh
# Flower, served by Caddy under /flower, always behind basic auth.
set -eu
if [ -z "${FLOWER_BASIC_AUTH:-}" ]; then
    echo "start-flower: set FLOWER_BASIC_AUTH=user:password" >&2
    exit 1
fi
exec celery -A backend_django.config.celery_app flower \
    --address="${FLOWER_ADDRESS:-0.0.0.0}" --port=5555 \
    --url_prefix=flower \
    --basic-auth="$FLOWER_BASIC_AUTH" \
    --persistent=False
