from django.db import models


class SigningKeyState(models.TextChoices):
    ADDED = "added", "added (configured, not published)"
    PUBLISHED = "published", "published (in the JWKS, not signing)"
    ACTIVE = "active", "active (in the JWKS, signing new tokens)"
    RETIRED = "retired", "retired (neither)"


class SigningKey(models.Model):
    """Where one sync signing key is in its rotation.

    Only the state lives here: the private keys themselves come from the
    settings (SYNC_JWT_PRIVATE_KEYS), never from the database. A configured
    key without a row is ``added``, except that the first configured key signs
    while no key is ``active`` (a deployment with one key needs no rows).
    """

    kid = models.CharField(
        primary_key=True,
        max_length=100,
        help_text="The JWT kid: the key's own, or its RFC 7638 thumbprint in hex.",
    )
    algorithm = models.CharField(max_length=10)
    state = models.CharField(max_length=10, choices=SigningKeyState.choices, default=SigningKeyState.ADDED)
    published_at = models.DateTimeField(null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    # When it last stopped signing: its tokens are all expired a token lifetime later.
    deactivated_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "kid"]

    def __str__(self) -> str:
        return f"{self.kid} ({self.state})"
