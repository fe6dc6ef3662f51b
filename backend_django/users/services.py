"""Accounts: registration, account emails, API tokens, request limits.

Every account email leaves from a Celery worker after the transaction
commits; the work a request does before answering is the same whether or not
the address has an account (docs/operations.md, "Security"). When the broker
cannot take the task, this process runs it in a thread of its own instead,
after the answer's work (decisions/0018).
"""

import logging
import threading
from dataclasses import dataclass
from datetime import datetime

from allauth.account import app_settings as allauth_settings
from allauth.account.adapter import get_adapter
from allauth.account.internal.flows.email_verification import send_verification_email_to_address
from allauth.account.models import EmailAddress
from allauth.account.utils import complete_signup, user_pk_to_url_str
from allauth.core.internal import ratelimit
from celery import current_app
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import IntegrityError, connections, transaction
from django.utils import timezone
from knox.models import AuthToken
from kombu.exceptions import OperationalError
from redis import RedisError
from rest_framework.exceptions import Throttled

from backend_django.core.valkey import send_task
from backend_django.plans.models import Plan
from backend_django.users.models import User

logger = logging.getLogger(__name__)


def account_rate_limit_consume(*, request, action: str, key: str) -> None:
    """Count one ``action`` for ``key`` and the client IP; over a limit → 429."""
    if not ratelimit.consume(request, app="allauth.account", action=action, key=key.lower()):
        raise Throttled(detail="Too many requests of this kind. Try again later.")


# --- Email ------------------------------------------------------------------


def email_task_send_after_commit(task: str, *args) -> None:
    """Queue the email task named ``task`` (users/tasks.py) with ``args`` once the
    current transaction commits. Tasks are sent by name, so this module does not
    import the tasks (which call it).

    A broker that cannot take it (Valkey down or not answering: the send fails
    within about one socket timeout, at once while its circuit is open) must
    not turn an answer into a 500 after the account was saved, nor lose the
    email: the task then runs in a thread of this process, which the answer
    does not wait for (so its timing still says nothing about the address).
    An email sent that way is lost only if this process ends before it is.
    """
    transaction.on_commit(lambda: _email_task_send(task, args))


def _email_task_send(task: str, args: tuple) -> None:
    try:
        send_task(task, args=list(args))
    except (RedisError, OperationalError, OSError) as exc:
        logger.warning(
            "broker unreachable (%s): running %s in this process instead", type(exc).__name__, task
        )
        threading.Thread(target=_email_task_run_here, args=(task, args), name=task, daemon=True).start()


def _email_task_run_here(task: str, args: tuple) -> None:
    try:
        current_app.tasks[task].run(*args)  # registered by users/apps.py
    except Exception:
        logger.exception("%s failed in this process; that email was not sent", task)
    finally:
        connections.close_all()  # this thread's own


def email_message_send_later(*, message: EmailMessage) -> None:
    """Send a rendered email from a worker once the current transaction commits."""
    payload = {
        "subject": message.subject,
        "body": message.body,
        "from_email": message.from_email,
        "to": list(message.to),
        "alternatives": [
            [content, mimetype] for content, mimetype in getattr(message, "alternatives", []) or []
        ],
        "headers": dict(message.extra_headers),
    }
    email_task_send_after_commit("users.email_send", payload)


def email_message_send(*, payload: dict) -> None:
    message = EmailMultiAlternatives(
        subject=payload["subject"],
        body=payload["body"],
        from_email=payload["from_email"],
        to=payload["to"],
        headers=payload.get("headers") or None,
    )
    for content, mimetype in payload.get("alternatives", []):
        message.attach_alternative(content, mimetype)
    message.send()


# --- Registration --------------------------------------------------------------


def user_register(*, request, serializer, sign_in: bool) -> None:
    """Create the account of a validated registration, or tell the address's owner.

    An address that already has an account (verified or not) gets an email
    saying someone tried to register it; the caller answers exactly as for a
    new account. ``sign_in``: start a session when verification allows it
    (browser registrations, which passed the CSRF check).
    """
    email = serializer.validated_data["email"]
    owner = User.objects.filter(email__iexact=email).first()
    if owner is None:
        try:
            with transaction.atomic():
                user = serializer.save(request)
        except IntegrityError:  # the same address, registered a moment ago
            owner = User.objects.filter(email__iexact=email).first()
    if owner is not None:
        # The password hash a new account costs, so both answers take as long.
        make_password(serializer.validated_data["password1"])
        if ratelimit.consume(request, app="allauth.account", action="confirm_email", key=owner.email.lower()):
            get_adapter(request).send_account_already_exists_mail(owner.email)
        return
    if sign_in:
        complete_signup(request, user, allauth_settings.EMAIL_VERIFICATION, None)
        return
    if allauth_settings.EMAIL_VERIFICATION != allauth_settings.EmailVerificationMethod.NONE:
        address = EmailAddress.objects.get_primary(user) or EmailAddress.objects.filter(user=user).first()
        if address is not None:
            send_verification_email_to_address(request, address, signup=True)


def frontend_password_reset_url(request, user, temp_key: str) -> str:
    """The browser app's page that posts to auth/password/reset/confirm/."""
    return f"{settings.FRONTEND_URL}/reset-password?uid={user_pk_to_url_str(user)}&token={temp_key}"


# --- Emails about an address: the lookup happens in the worker ----------------


def password_reset_request(*, request, email: str) -> None:
    account_rate_limit_consume(request=request, action="reset_password", key=email)
    email_task_send_after_commit("users.password_reset_email_send", email)


def email_verification_request(*, request, email: str) -> None:
    account_rate_limit_consume(request=request, action="confirm_email", key=email)
    email_task_send_after_commit("users.email_verification_send", email)


# --- API tokens ------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedToken:
    key: str
    expiry: datetime | None


def api_token_create(*, user: User) -> IssuedToken:
    """A new API token for ``user`` (knox: stored hashed, with an idle expiry)."""
    instance, key = AuthToken.objects.create(user=user)
    return IssuedToken(key=key, expiry=instance.expiry)


def api_tokens_revoke(*, user: User) -> int:
    """End every API token of ``user``; the number ended."""
    deleted, _ = AuthToken.objects.filter(user=user).delete()
    return deleted


# --- The account itself ----------------------------------------------------------


def user_password_confirm(*, request, user: User, password: str) -> bool:
    """Whether ``password`` is the user's, checked like a login: failures count
    against the failed-login limits (over one → 429), so a stolen session
    cannot guess the password here either."""
    django_request = getattr(request, "_request", request)
    try:
        confirmed = get_adapter(django_request).authenticate(
            django_request, email=user.email, password=password
        )
    except DjangoValidationError as exc:
        if getattr(exc, "code", None) == "too_many_login_attempts":
            raise Throttled(detail="Too many wrong passwords. Try again later.") from exc
        raise
    return confirmed is not None and confirmed.pk == user.pk


@transaction.atomic
def user_delete(*, user: User) -> None:
    """Delete the account with everything it owns: plans (and deleted plans kept for
    Undo), API tokens, email addresses, sessions end as their user is gone."""
    user.delete()


def user_data_export(*, user: User) -> dict:
    """Everything the account holds, as the person can download it."""
    plans = Plan.objects.filter(owner=user).order_by("created_at", "id")
    return {
        "exported_at": timezone.now(),
        "account": {
            "email": user.email,
            "name": user.name,
            "units": user.units,
            "date_joined": user.date_joined,
        },
        "plans": [
            {
                "id": plan.id,
                "name": plan.name,
                "latitude": plan.latitude,
                "longitude": plan.longitude,
                "address": plan.address,
                "timezone": plan.timezone,
                "data": plan.data,
                "beds": plan.beds,
                "archived": plan.archived,
                "created_at": plan.created_at,
                "updated_at": plan.updated_at,
            }
            for plan in plans
        ],
    }
