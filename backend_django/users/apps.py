from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "backend_django.users"
    label = "users"
    verbose_name = "Users"
