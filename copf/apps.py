from django.apps import AppConfig


class CopfConfig(AppConfig):
    name = "copf"
    verbose_name = "CoP-F"
