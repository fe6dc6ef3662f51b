from rest_framework import serializers


class HealthChecksSerializer(serializers.Serializer):
    database = serializers.CharField()
    cache = serializers.CharField()
    broker = serializers.CharField()


class HealthSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ok", "error"])
    checks = HealthChecksSerializer()


class VersionInfoSerializer(serializers.Serializer):
    name = serializers.CharField()
    version = serializers.CharField()
    commit = serializers.CharField()
    python = serializers.CharField()
    django = serializers.CharField()
    djangorestframework = serializers.CharField()
    celery = serializers.CharField()
