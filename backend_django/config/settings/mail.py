"""Email: how account emails (confirmation, password reset) leave, and who they are from.
From the environment: backend, host, port, sender (production.py adds TLS and the credentials)."""

from .environment import env

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Solar Sim <noreply@localhost>")
