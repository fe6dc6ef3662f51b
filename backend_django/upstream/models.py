from django.db import models


class CacheOverview(models.Model):
    """No table: gives the admin an entry for the cache-at-a-glance page."""

    class Meta:
        managed = False
        verbose_name = "cache overview"
        verbose_name_plural = "cache overview"
        default_permissions = ("view",)

    def __str__(self) -> str:
        return "cache overview"
