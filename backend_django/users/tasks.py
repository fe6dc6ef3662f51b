"""Account emails, sent by the worker (never during a request)."""

import logging

from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress
from celery import shared_task
from dj_rest_auth.forms import AllAuthPasswordResetForm

from . import services

logger = logging.getLogger(__name__)


@shared_task(name="users.email_send")
def email_send(payload: dict) -> None:
    """Send an email rendered during a request."""
    services.email_message_send(payload=payload)


@shared_task(name="users.password_reset_email_send")
def password_reset_email_send(email: str) -> None:
    """The reset link to each active account with this address (none: nothing)."""
    form = AllAuthPasswordResetForm(data={"email": email})
    if not form.is_valid():
        return
    form.save(
        None, token_generator=default_token_generator, url_generator=services.frontend_password_reset_url
    )


@shared_task(name="users.email_verification_send")
def email_verification_send(email: str) -> None:
    """A new confirmation link, when this address waits for one."""
    address = EmailAddress.objects.filter(email__iexact=email, verified=False).select_related("user").first()
    if address is not None:
        address.send_confirmation(None, signup=False)
