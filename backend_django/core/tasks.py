from celery import shared_task


@shared_task(name="core.ping")
def ping(payload: str = "pong") -> dict[str, str]:
    """Round-trip check for the worker wiring: echoes its payload."""
    return {"payload": payload}
