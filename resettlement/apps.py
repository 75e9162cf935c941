from django.apps import AppConfig


class ResettlementConfig(AppConfig):
    # The one config of this module Django picks (resettlement.axes_app holds django-axes'
    # own: a second AppConfig here would make Django fall back to a plain one, skipping
    # ready() below).
    default = True
    name = "resettlement"
    verbose_name = "Resettlement"

    def ready(self) -> None:
        # Signal receivers (login time, ending a disabled user's sessions) and the
        # project's own system checks.
        from resettlement import checks, security  # noqa: F401
        from resettlement.text import install

        # Every form and serializer text field strips bidi controls and has a length limit.
        install()
