"""The contract's error answers: one ``Error`` component, documented everywhere.

``ErrorSerializer`` is the API's one error shape (core/exceptions.py). The
postprocessing hook adds to every operation the error answers it can give and
does not list itself, pointing at that component:

- 429 everywhere (login, account email and data limits; any throttle);
- 401 and 403 wherever a token or session is accepted (a bad token is 401; a
  missing CSRF token or a permission is 403);
- 404 wherever the path has a parameter, and on paginated lists;
- 400 and 413 wherever a body is read (invalid, too large or too deep), and
  400 and 414 (gunicorn's limit on the request line) wherever there are
  query parameters.
"""

from rest_framework import serializers

ERROR_DESCRIPTIONS = {
    "400": "Invalid input (the message says what is wrong; `fields` names the fields).",
    "401": "Missing or invalid credentials (a bad or expired API token).",
    "403": "Not allowed: a session request without a valid CSRF token, or no permission.",
    "404": "No such resource.",
    "413": "The request body is too large.",
    "414": "The URL is longer than the server reads (its own plain answer, not JSON).",
    "429": "Too many requests of this kind from this client or for this account; try again later.",
}
ERROR_REF = {"$ref": "#/components/schemas/Error"}
# Answered by gunicorn before Django sees the request.
PLAIN_ANSWERS = {"414"}


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="invalid, not_found, throttled, too_large, parse_error, ...")
    message = serializers.CharField(help_text="For people: what went wrong and what to do.")
    fields = serializers.DictField(required=False, help_text="Field errors, for validation failures.")  # type: ignore[assignment]  # a declared field: DRF's metaclass moves it out of the class


class ErrorSerializer(serializers.Serializer):
    """The API's one error shape."""

    error = ErrorDetailSerializer()


RESPONSE_NAMES = {
    "400": "BadRequest",
    "401": "Unauthorized",
    "403": "Forbidden",
    "404": "NotFound",
    "413": "PayloadTooLarge",
    "414": "URITooLong",
    "429": "TooManyRequests",
}


def add_error_responses(result: dict, generator, request, public) -> dict:
    """drf-spectacular postprocessing hook (SPECTACULAR_SETTINGS).

    The added answers are references to ``components.responses``, each an
    ``Error`` body; answers an operation documents itself are left alone.
    """
    used: set[str] = set()
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in ("get", "put", "patch", "post", "delete", "head"):
                continue
            responses = operation.setdefault("responses", {})
            wanted = ["429"]
            if any(requirement for requirement in operation.get("security", [])):
                wanted += ["401", "403"]
            query = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}
            if "{" in path or "page" in query:  # a page past the end is 404 too
                wanted.append("404")
            if "requestBody" in operation:
                wanted += ["400", "413"]
            if query:
                wanted += ["400", "414"]
            for code in wanted:
                if code not in responses:
                    responses[code] = {"$ref": f"#/components/responses/{RESPONSE_NAMES[code]}"}
                    used.add(code)
            operation["responses"] = dict(sorted(responses.items()))
    components = result.setdefault("components", {})
    components["responses"] = {
        RESPONSE_NAMES[code]: {"description": ERROR_DESCRIPTIONS[code]}
        if code in PLAIN_ANSWERS
        else {"description": ERROR_DESCRIPTIONS[code], "content": {"application/json": {"schema": ERROR_REF}}}
        for code in sorted(used)
    }
    return result
