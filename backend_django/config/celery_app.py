"""The Celery application: workers, beat and Flower all start from here.

Every setting lives in Django settings under the ``CELERY_`` namespace
(see ``settings/celery.py``), so one place describes queues, limits and
serialisation for every process.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend_django.config.settings.local")

app = Celery("solar_sim")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
