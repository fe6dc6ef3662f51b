"""gunicorn's access log with the client address the rest of the app uses.

``%(client)s`` in the access log format is core.client_ip's answer for the
request (TRUSTED_PROXY_COUNT), not the raw X-Forwarded-For, in which a
client can write anything. docker/django/start-web.sh uses it.
"""

from gunicorn.glogging import Logger


class AccessLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        from backend_django.core.client_ip import client_ip

        atoms["client"] = client_ip(environ)
        return atoms
