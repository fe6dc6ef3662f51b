from typing import ClassVar

from django.contrib.auth.models import AbstractUser
from django.db import models

from .managers import UserManager


class User(AbstractUser):
    """An account: the email address is the login, plus a display name and units."""

    username = None  # type: ignore[assignment]
    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    email = models.EmailField("email address", unique=True)
    name = models.CharField("display name", max_length=150, blank=True)
    units = models.CharField(
        "units",
        max_length=8,
        choices=[("metric", "Metric (°C, metres)"), ("imperial", "US customary (°F, feet)")],
        default="metric",
        help_text="How the app shows temperatures and heights.",
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    # An email-login manager, not the username one AbstractUser's stubs declare.
    objects: ClassVar[UserManager["User"]] = UserManager()  # type: ignore[assignment]

    class Meta:
        ordering = ["email"]

    def save(self, *args, **kwargs) -> None:
        # A new password (change, reset, admin, changepassword) ends every API
        # token of the account; its sessions end because their auth hash no
        # longer matches (the session that changed it is updated by the view).
        # _password: Django's (a class attribute of AbstractBaseUser), not in the stubs.
        password_changed = self._password is not None and not self._state.adding  # type: ignore[attr-defined]
        super().save(*args, **kwargs)
        if password_changed:
            from knox.models import AuthToken

            AuthToken.objects.filter(user=self).delete()

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return self.name or self.email

    def get_short_name(self) -> str:
        return self.name or self.email
