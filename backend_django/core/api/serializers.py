from rest_framework import serializers


class HealthChecksSerializer(serializers.Serializer):
    database = serializers.CharField()
    cache = serializers.CharField()
    broker = serializers.CharField()


UPSTREAM_STATES = ["up", "failing", "down", "probing", "unknown"]


class HealthSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ok", "error"])
    checks = HealthChecksSerializer()
    upstreams = serializers.DictField(
        child=serializers.ChoiceField(choices=UPSTREAM_STATES),
        help_text=(
            "Each upstream's circuit breaker, by name (`open_meteo`, `overpass`, `canopy`, `geocoder`, ...): "
            "`up`; `failing` (recent failures in a row); `down` (waiting out a cool-off); `probing` (one "
            "request is testing it); `unknown` (the cache did not answer). An upstream that is down does "
            "not make `status` an error."
        ),
    )


class VersionInfoSerializer(serializers.Serializer):
    version = serializers.CharField()
    commit = serializers.CharField()
    name = serializers.CharField(required=False, help_text="Staff only.")
    python = serializers.CharField(required=False, help_text="Staff only.")
    django = serializers.CharField(required=False, help_text="Staff only.")
    djangorestframework = serializers.CharField(required=False, help_text="Staff only.")
    celery = serializers.CharField(required=False, help_text="Staff only.")
