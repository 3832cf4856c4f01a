from django.apps import AppConfig


class DemoConfig(AppConfig):
    """`make demo`: run_demo (everything on embedded defaults), seed_demo and demo_catalog."""

    name = "demo"
    verbose_name = "Demo"
