from rest_framework import serializers


class HealthChecksSerializer(serializers.Serializer):
    database = serializers.CharField()
    cache = serializers.CharField()
    broker = serializers.CharField()


UPSTREAM_STATES = ["up", "failing", "down", "probing", "unknown"]


class UpstreamStatesSerializer(serializers.Serializer):
    open_meteo = serializers.ChoiceField(choices=UPSTREAM_STATES)
    overpass = serializers.ChoiceField(choices=UPSTREAM_STATES)
    s3 = serializers.ChoiceField(choices=UPSTREAM_STATES)
    geocoder = serializers.ChoiceField(choices=UPSTREAM_STATES)


class HealthSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ok", "error"])
    checks = HealthChecksSerializer()
    upstreams = UpstreamStatesSerializer(
        help_text=(
            "Each upstream's circuit breaker: `up`; `failing` (recent failures in a row); `down` (waiting "
            "out a cool-off); `probing` (one request is testing it). An upstream that is down does not "
            "make `status` an error."
        )
    )


class VersionInfoSerializer(serializers.Serializer):
    version = serializers.CharField()
    commit = serializers.CharField()
    name = serializers.CharField(required=False, help_text="Staff only.")
    python = serializers.CharField(required=False, help_text="Staff only.")
    django = serializers.CharField(required=False, help_text="Staff only.")
    djangorestframework = serializers.CharField(required=False, help_text="Staff only.")
    celery = serializers.CharField(required=False, help_text="Staff only.")
