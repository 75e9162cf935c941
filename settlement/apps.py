from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SettlementConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "settlement"
    verbose_name = _("结算与交房")

    def ready(self) -> None:
        # Settlement reads every earlier stage: it derives each household's stage for all.
        from households.stages import register_stage_reader
        from settlement.selectors.cases import household_stages

        register_stage_reader(household_stages)

        # Change control: settlement hears the registry's changes (households.signals).
        from households.signals import facts_changed, facts_changing
        from settlement import receivers

        facts_changing.connect(
            receivers.refuse_change_after_settlement, dispatch_uid="settlement.facts_changing"
        )
        facts_changed.connect(receivers.reopen_statement, dispatch_uid="settlement.facts_changed")
