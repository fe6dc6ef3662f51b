from rest_framework import serializers


class HealthChecksSerializer(serializers.Serializer):
    database = serializers.CharField()
    cache = serializers.CharField()
    broker = serializers.CharField()


class HealthSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ok", "error"])
    checks = HealthChecksSerializer()


class VersionInfoSerializer(serializers.Serializer):
    version = serializers.CharField()
    commit = serializers.CharField()
    name = serializers.CharField(required=False, help_text="Staff only.")
    python = serializers.CharField(required=False, help_text="Staff only.")
    django = serializers.CharField(required=False, help_text="Staff only.")
    djangorestframework = serializers.CharField(required=False, help_text="Staff only.")
    celery = serializers.CharField(required=False, help_text="Staff only.")
