#!/bin/sh
# Celery beat with the schedule in the database (editable in the admin).
# Run exactly one beat for the whole deployment.
set -eu
exec celery -A backend_django.config.celery_app beat \
    --scheduler django_celery_beat.schedulers:DatabaseScheduler \
    --loglevel "${LOG_LEVEL:-INFO}"
