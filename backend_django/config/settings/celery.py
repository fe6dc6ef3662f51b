"""Celery: the broker (Valkey), the two queues, time limits, beat, the Flower link.
From the environment: CELERY_BROKER_URL (default VALKEY_URL; or Sentinels,
``sentinel://h1:26379;sentinel://h2:26379``, with CELERY_BROKER_MASTER_NAME), FLOWER_URL."""

import math

from kombu import Exchange, Queue

from .core import TIME_ZONE
from .environment import env
from .valkey import VALKEY_CLUSTER_FAILOVER_SECONDS, VALKEY_SOCKET_TIMEOUT, VALKEY_URL

# A cluster URL is never the broker: kombu has no cluster transport
# (celery#2852, kombu#526); a deployment on a cluster sets CELERY_BROKER_URL to
# its own Valkey, or to Sentinels watching a primary and its replica.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=VALKEY_URL)
# The name the Sentinels know the broker's primary by (sentinel:// broker URLs only).
CELERY_BROKER_MASTER_NAME = env("CELERY_BROKER_MASTER_NAME", default="solar-sim-broker")
# No result backend: a job's outcome is its record (upstream/jobs/records.py),
# which the API and Flower's events show; nothing reads task results, so none
# are stored (decision 0024).
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
# Hard and soft time limits of a task (seconds).
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
# A task is acknowledged after it ran, and requeued if its worker died, so a
# fetch is never lost; fetch tasks are written to be safe to run twice.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# When the broker's connection is lost (its primary replaced), a running job
# finishes and writes its result; its message, never acknowledged, comes back
# after the visibility timeout and finds the job ended (upstream/jobs/liveness.py).
# Said explicitly: Celery 6 makes cancelling them the default.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
CELERY_TASK_DEFAULT_QUEUE = "interactive"
# User-triggered fetches go to "interactive"; prefetch and scheduled warming
# to "warm". Workers consume both (see scripts/dev and docker/).
# Each queue has its own exchange and routing key: without them Celery binds
# both to the default routing key and a task would land in both.
CELERY_TASK_QUEUES = (
    Queue("interactive", Exchange("interactive"), routing_key="interactive"),
    Queue("warm", Exchange("warm"), routing_key="warm"),
)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Longer than the task time limit, so a running task is not redelivered.
    "visibility_timeout": 3600,
    "socket_connect_timeout": VALKEY_SOCKET_TIMEOUT,
    "socket_timeout": VALKEY_SOCKET_TIMEOUT,
    # A worker listening to "interactive,warm" always takes the interactive
    # queue's tasks first: people's fetches go before warming.
    "queue_order_strategy": "priority",
}
if CELERY_BROKER_URL.startswith("sentinel://"):
    CELERY_BROKER_TRANSPORT_OPTIONS["master_name"] = CELERY_BROKER_MASTER_NAME
    CELERY_BROKER_TRANSPORT_OPTIONS["sentinel_kwargs"] = {"socket_timeout": VALKEY_SOCKET_TIMEOUT}
    # A worker's own sends (a job back to the queue, a warm job stepping aside)
    # keep trying while the Sentinels promote the replica, as a request's do
    # (core/valkey.send_task); Celery's default gives up after about 0.6 s.
    CELERY_TASK_PUBLISH_RETRY_POLICY = {
        "max_retries": math.ceil(VALKEY_CLUSTER_FAILOVER_SECONDS / 0.5),
        "interval_start": 0.25,
        "interval_step": 0.25,
        "interval_max": 0.5,
    }
CELERY_WORKER_SEND_TASK_EVENTS = True
CELERY_TASK_SEND_SENT_EVENT = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Where the admin links to the task dashboard (the compose stack: /flower/).
FLOWER_URL = env("FLOWER_URL", default="http://localhost:5555")
