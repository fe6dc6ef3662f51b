#!/bin/sh
# A Celery worker. Fetch tasks wait on the network, not the CPU, so the
# default runs a few processes per core. One worker host consumes both
# queues; on more hosts, dedicate some to `interactive` (docs/operations.md).
set -eu
exec celery -A backend_django.config.celery_app worker \
    --queues "${CELERY_WORKER_QUEUES:-interactive,warm}" \
    --concurrency "${CELERY_WORKER_CONCURRENCY:-4}" \
    --max-tasks-per-child "${CELERY_WORKER_MAX_TASKS_PER_CHILD:-500}" \
    --hostname "worker@%h" \
    --loglevel "${LOG_LEVEL:-INFO}"
