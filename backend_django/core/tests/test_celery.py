import pytest

from backend_django.config.celery_app import app
from backend_django.core.tasks import ping


def test_celery_configuration_is_safe_by_default():
    conf = app.conf
    assert conf.task_serializer == "json"
    assert conf.accept_content == ["json"]
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.task_time_limit and conf.task_soft_time_limit < conf.task_time_limit
    assert {queue.name for queue in conf.task_queues} == {"interactive", "warm"}
    # Each queue is reached only by its own routing key: a task sent to one
    # queue must not also land in the other.
    routes = {(queue.exchange.name, queue.routing_key) for queue in conf.task_queues}
    assert routes == {("interactive", "interactive"), ("warm", "warm")}
    assert conf.beat_scheduler == "django_celery_beat.schedulers:DatabaseScheduler"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_task_runs_on_a_real_worker_over_valkey(celery_worker_process):
    for queue in ("interactive", "warm"):
        result = ping.apply_async(kwargs={"payload": f"hello {queue}"}, queue=queue)
        assert result.get(timeout=30) == {"payload": f"hello {queue}"}
