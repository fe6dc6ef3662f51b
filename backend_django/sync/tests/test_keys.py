"""Key material: PEM and JWK forms, the development key, and what is refused."""

import base64
import hashlib
import json
import os
import stat

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from backend_django.core.tests.test_production_settings import run_with_production_settings
from backend_django.sync import keys
from backend_django.sync.keys import KeyConfigError, configured_keys, key_generate, keys_parse


def _pem(private_key, form=serialization.PrivateFormat.PKCS8) -> str:
    return private_key.private_bytes(serialization.Encoding.PEM, form, serialization.NoEncryption()).decode()


def test_pem_keys_of_each_supported_type_with_rfc7638_kids_in_hex():
    ec_key = ec.generate_private_key(ec.SECP256R1())
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ed_key = ed25519.Ed25519PrivateKey.generate()
    text = "\n".join(
        [_pem(ec_key, serialization.PrivateFormat.TraditionalOpenSSL), _pem(rsa_key), _pem(ed_key)]
    )
    keys = keys_parse(text)
    assert [key.algorithm for key in keys] == ["ES256", "RS256", "EdDSA"]
    # RFC 7638: SHA-256 over the required members in lexicographic order, no whitespace.
    numbers = ec_key.public_key().public_numbers()

    def b64(value: int, length: int) -> str:
        return base64.urlsafe_b64encode(value.to_bytes(length, "big")).rstrip(b"=").decode()

    canonical = json.dumps(
        {"crv": "P-256", "kty": "EC", "x": b64(numbers.x, 32), "y": b64(numbers.y, 32)},
        separators=(",", ":"),
        sort_keys=True,
    )
    # ...written in hex, so that no kid starts with "-".
    expected = hashlib.sha256(canonical.encode()).hexdigest()
    assert keys[0].kid == expected
    assert keys[0].public_jwk() == {
        "kty": "EC",
        "crv": "P-256",
        "x": b64(numbers.x, 32),
        "y": b64(numbers.y, 32),
        "kid": expected,
        "alg": "ES256",
        "use": "sig",
    }


def test_jwks_one_after_another_on_one_line():
    first, second = key_generate(), key_generate(algorithm="EdDSA")
    text = f"{json.dumps(first.private_jwk())} {json.dumps(second.private_jwk())}"
    assert [key.kid for key in keys_parse(text)] == [first.kid, second.kid]
    separated = f"{json.dumps(first.private_jwk())},\n{json.dumps(second.private_jwk())}"
    assert [key.kid for key in keys_parse(separated)] == [first.kid, second.kid]


def test_a_jwk_a_jwk_set_and_a_list_keep_their_kid():
    key = key_generate()
    jwk = {**key.private_jwk(), "kid": "2026-11-key"}
    for text in (json.dumps(jwk), json.dumps({"keys": [jwk]}), json.dumps([jwk])):
        (parsed,) = keys_parse(text)
        assert parsed.kid == "2026-11-key"
        assert parsed.public_jwk()["x"] == key.public_jwk()["x"]
        assert "d" not in parsed.public_jwk()


@pytest.mark.filterwarnings("ignore:Key size should be")
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not a key", "PEM blocks or JSON"),
        ("{not json", "do not parse"),
        (json.dumps({"kty": "oct", "k": "c2VjcmV0"}), "Unsupported JWK kty"),
        (json.dumps({"kty": ["EC"]}), "Unsupported JWK kty"),
        (json.dumps({**key_generate().public_jwk()}), "must be a private key"),
        (json.dumps({**key_generate().private_jwk(), "use": "enc"}), "use 'sig'"),
        (json.dumps({**key_generate().private_jwk(), "alg": "RS256"}), "it is a ES256 key"),
        (_pem(ec.generate_private_key(ec.SECP384R1())), "P-256"),
        (_pem(rsa.generate_private_key(public_exponent=65537, key_size=1024)), "at least 2048 bits"),
    ],
)
def test_unusable_keys_are_refused_with_a_reason(text, message):
    with pytest.raises(KeyConfigError, match=message):
        keys_parse(text)


def test_keys_from_a_file_and_inline_together(settings, tmp_path):
    first, second = key_generate(), key_generate(algorithm="RS256")
    key_file = tmp_path / "keys.pem"
    key_file.write_text(second.private_pem())
    settings.SYNC_JWT_PRIVATE_KEYS = first.private_pem()
    settings.SYNC_JWT_PRIVATE_KEYS_FILE = str(key_file)
    assert [key.kid for key in configured_keys()] == [first.kid, second.kid]


def test_the_same_key_twice_is_a_configuration_error(settings):
    key = key_generate()
    settings.SYNC_JWT_PRIVATE_KEYS = key.private_pem() * 2
    with pytest.raises(KeyConfigError, match="twice"):
        configured_keys()


def test_a_bad_key_setting_fails_the_system_check(settings):
    settings.SYNC_JWT_PRIVATE_KEYS = "-----BEGIN PRIVATE KEY-----\nbroken\n-----END PRIVATE KEY-----"
    with pytest.raises(SystemCheckError, match=r"sync\.E003"):
        call_command("check")


def test_a_token_lifetime_past_an_hour_fails_the_system_check(settings):
    settings.SYNC_TOKEN_LIFETIME = 7200
    with pytest.raises(SystemCheckError, match=r"sync\.E001"):
        call_command("check")


def test_development_key_is_generated_once_under_var(settings):
    settings.SYNC_JWT_DEV_KEY = True
    path = settings.SYNC_JWT_DEV_KEY_FILE
    assert not path.exists()
    (key,) = configured_keys()
    assert path.exists()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert key.algorithm == "ES256"
    before = path.read_text()
    keys._parsed.cache_clear()  # read the file again: the same key, not a new one
    (again,) = configured_keys()
    assert again.kid == key.kid
    assert path.read_text() == before


def test_configured_keys_replace_the_development_key(settings):
    settings.SYNC_JWT_DEV_KEY = True
    key = key_generate()
    settings.SYNC_JWT_PRIVATE_KEYS = key.private_pem()
    assert [k.kid for k in configured_keys()] == [key.kid]
    assert not settings.SYNC_JWT_DEV_KEY_FILE.exists()


def test_production_never_generates_a_development_key(tmp_path):
    script = (
        "import os; os.environ['SYNC_JWT_DEV_KEY'] = 'True'; "
        "import django; django.setup(); from django.conf import settings; "
        "from backend_django.sync.keys import configured_keys; "
        "print(settings.SYNC_JWT_DEV_KEY, len(configured_keys()))"
    )
    result = run_with_production_settings("-c", script)
    assert result.returncode == 0, result.stderr
    # SYNC_JWT_DEV_KEY=True in the environment cannot turn it on.
    assert result.stdout.split()[-2:] == ["False", "0"]
