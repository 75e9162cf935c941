"""The settlement API, mounted at /api/settlement/."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from settlement.api import (
    agreements,
    bank_accounts,
    defects,
    groups,
    handover,
    overdue,
    statements,
    subsidy_runs,
)

# SimpleRouter: the registry's router already provides the API root view.
router = SimpleRouter()
router.register("statements", statements.StatementViewSet, basename="settlement-statement")
router.register("groups", groups.GroupSettlementViewSet, basename="settlement-group")
router.register("agreements", agreements.AgreementViewSet, basename="settlement-agreement")
router.register("handovers", handover.HandoverViewSet, basename="settlement-handover")
router.register("defects", defects.DefectViewSet, basename="settlement-defect")
router.register(
    "transition-policies",
    subsidy_runs.TransitionPolicyViewSet,
    basename="settlement-transition-policy",
)
router.register("subsidy-runs", subsidy_runs.SubsidyRunViewSet, basename="settlement-subsidy-run")
router.register(
    "subsidy-lines", subsidy_runs.SubsidyLineViewSet, basename="settlement-subsidy-line"
)

router.register(
    "bank-accounts", bank_accounts.BankAccountViewSet, basename="settlement-bank-account"
)
router.register("overdue", overdue.OverdueViewSet, basename="settlement-overdue")

urlpatterns = [path("", include(router.urls))]
