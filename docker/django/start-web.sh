#!/bin/sh
# The API and admin: migrate, collect static files into the volume Caddy
# serves, then gunicorn (it beat granian on this app: docs/performance.md).
# Only the proxy's network (FORWARDED_ALLOW_IPS, set by docker-compose.yml)
# may set X-Forwarded-Proto; the access log names the client the way the app
# does (TRUSTED_PROXY_COUNT, backend_django/config/gunicorn.py).
set -eu
python manage.py migrate --no-input
python manage.py collectstatic --no-input --verbosity 0
exec gunicorn backend_django.config.wsgi:application \
    --bind "${GUNICORN_BIND:-0.0.0.0:8000}" \
    --worker-class gthread \
    --workers "${GUNICORN_WORKERS:-3}" \
    --threads "${GUNICORN_THREADS:-4}" \
    --timeout "${GUNICORN_TIMEOUT:-30}" \
    --max-requests 2000 --max-requests-jitter 200 \
    --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-127.0.0.1}" \
    --worker-tmp-dir /dev/shm \
    --no-control-socket \
    --access-logfile - \
    --logger-class backend_django.config.gunicorn.AccessLogger \
    --access-logformat '{"time": "%(t)s", "logger": "gunicorn.access", "method": "%(m)s", "path": "%(U)s", "status": %(s)s, "bytes": "%(B)s", "duration_us": %(D)s, "client": "%(client)s"}'
