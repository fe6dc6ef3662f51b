"""The Django cache backend: django-redis, failing open when Valkey is down.

The Django cache holds allauth's login-limit history (the data endpoints'
per-client limits are counted in Valkey directly, upstream/api/throttles.py). With
IGNORE_EXCEPTIONS, django-redis turns connection errors into "nothing
cached"; ``add()`` would then report failure, which makes allauth's rate-limit
lock fail *closed* and refuse every login. Reporting success instead keeps
sign-in working through a Valkey outage (without limits until it returns).
"""

from django_redis.cache import RedisCache, omit_exception


class FailOpenRedisCache(RedisCache):
    @omit_exception(return_value=True)
    def add(self, *args, **kwargs) -> bool:
        return self.client.add(*args, **kwargs)
