from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    """Development tools: the upstream simulator and its `upstream_simulator` command.

    Installed by the local and test settings only; production never has it.
    """

    name = "backend_django.devtools"
    label = "devtools"
    verbose_name = "Development tools"
