from django.apps import AppConfig


class BssConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "bss"
    verbose_name = "BSS core"
