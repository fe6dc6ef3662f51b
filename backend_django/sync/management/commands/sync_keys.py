"""Rotate the keys that sign sync tokens: `manage.py sync_keys add|publish|switch|retire|list`.

The procedure and its timing are in docs/operations.md ("Rotating the sync
signing key"). In short:

    sync_keys add > new-key.pem      # a new private key; add it to SYNC_JWT_PRIVATE_KEYS, restart
    sync_keys publish <kid>          # in the JWKS; verifiers pick it up
    sync_keys switch <kid>           # after SYNC_KEY_PUBLISH_WAIT: new tokens use it
    sync_keys retire <old kid>       # after a token lifetime: out of the JWKS
"""

import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from backend_django.sync.keys import ALGORITHMS, DEFAULT_ALGORITHM, KeyConfigError, key_generate
from backend_django.sync.selectors import key_ring_get
from backend_django.sync.services import (
    KeyRotationError,
    signing_key_publish,
    signing_key_retire,
    signing_key_switch,
)


class Command(BaseCommand):
    help = "Rotate the sync token signing keys: add, publish, switch, retire; list shows the key ring."

    def add_arguments(self, parser) -> None:
        steps = parser.add_subparsers(dest="step", required=True, metavar="STEP")
        add = steps.add_parser("add", help="generate a new private key (printed on stdout) to configure")
        add.add_argument("--algorithm", choices=ALGORITHMS, default=DEFAULT_ALGORITHM)
        add.add_argument("--format", choices=["pem", "jwk"], default="pem", help="PEM (default) or a JWK")
        publish = steps.add_parser("publish", help="put a configured key into the JWKS (not signing yet)")
        publish.add_argument("kid")
        switch = steps.add_parser("switch", help="sign new tokens with a published key")
        switch.add_argument("kid")
        switch.add_argument("--force", action="store_true", help="do not wait for SYNC_KEY_PUBLISH_WAIT")
        retire = steps.add_parser("retire", help="take a key out of the JWKS (its tokens stop verifying)")
        retire.add_argument("kid")
        retire.add_argument("--force", action="store_true", help="do not wait for its tokens to expire")
        steps.add_parser("list", help="the configured keys, their state, and which one signs")

    def handle(self, *args, step: str, **options) -> None:
        try:
            if step == "add":
                self._add(options["algorithm"], options["format"])
                return
            if step == "publish":
                row = signing_key_publish(kid=options["kid"])
                wait = settings.SYNC_KEY_PUBLISH_WAIT
                self.stderr.write(f"{row.kid} is published; switch to it after {wait} s.")
            elif step == "switch":
                row = signing_key_switch(kid=options["kid"], force=options["force"])
                self.stderr.write(
                    f"{row.kid} signs new tokens; retire the previous key after "
                    f"{settings.SYNC_TOKEN_LIFETIME + 60} s."
                )
            elif step == "retire":
                row = signing_key_retire(kid=options["kid"], force=options["force"])
                self.stderr.write(f"{row.kid} is retired; remove it from SYNC_JWT_PRIVATE_KEYS at leisure.")
            self._list(self.stdout if step == "list" else self.stderr)
        except (KeyRotationError, KeyConfigError) as exc:
            raise CommandError(str(exc)) from exc

    def _add(self, algorithm: str, output: str) -> None:
        key = key_generate(algorithm=algorithm)
        if output == "jwk":
            self.stdout.write(json.dumps(key.private_jwk()))
        else:
            self.stdout.write(key.private_pem(), ending="")
        self.stderr.write(
            f"New {key.algorithm} key {key.kid}. Keep it secret: add it to SYNC_JWT_PRIVATE_KEYS (or to "
            f"the file SYNC_JWT_PRIVATE_KEYS_FILE names) on every web host, restart, then: "
            f"sync_keys publish {key.kid}"
        )

    def _list(self, out) -> None:
        ring = key_ring_get()
        if not ring.keys:
            out.write("No sync signing key is configured.")
            return
        out.write(f"{'kid':45} {'alg':6} {'state':10} {'published':20} {'signed until':20}")
        for key in ring.keys:
            row = ring.rows.get(key.kid)
            published = f"{row.published_at:%Y-%m-%d %H:%M:%S}" if row and row.published_at else "-"
            stopped = f"{row.deactivated_at:%Y-%m-%d %H:%M:%S}" if row and row.deactivated_at else "-"
            state = ring.states[key.kid] + (" *" if key is ring.signing else "")
            out.write(f"{key.kid:45} {key.algorithm:6} {state:10} {published:20} {stopped:20}")
        out.write("* signs new tokens (times in UTC)")
