"""Staff pages of settlement, mounted at /staff/settlement/: the finance pages (statements,
the approval chain, payments, group settlement) and the agreement, handover and defect pages."""

from django.urls import path

from settlement.views import (
    agreements,
    approvals,
    bank_accounts,
    defects,
    groups,
    handover,
    overdue,
    payments,
    statements,
    subsidy_runs,
)
from settlement.views import groups as settlement_groups
from settlement.views import statements as settlement_statements

app_name = "settlement"

urlpatterns = [
    path("", settlement_groups.finance_home, name="finance-home"),
    path("projects/<str:code>/", settlement_groups.project_groups, name="project-groups"),
    path("projects/<str:code>/chain/", approvals.chain_edit, name="chain-edit"),
    path(
        "projects/<str:code>/statements.xlsx",
        groups.statements_xlsx,
        name="statements-xlsx",
    ),
    path(
        "projects/<str:code>/transition-policy/",
        subsidy_runs.transition_policy,
        name="transition-policy",
    ),
    path("projects/<str:code>/subsidy-runs/", subsidy_runs.run_list, name="subsidy-runs"),
    path(
        "projects/<str:code>/subsidy-runs/new/",
        subsidy_runs.run_compute,
        name="subsidy-run-compute",
    ),
    path("subsidy-runs/<int:pk>/", subsidy_runs.run_detail, name="subsidy-run-detail"),
    path("subsidy-runs/<int:pk>/approve/", subsidy_runs.run_approve, name="subsidy-run-approve"),
    path(
        "subsidy-runs/<int:pk>/send-back/",
        subsidy_runs.run_send_back,
        name="subsidy-run-send-back",
    ),
    path("subsidy-runs/<int:pk>/send/", subsidy_runs.run_send, name="subsidy-run-send"),
    path(
        "subsidy-runs/<int:pk>/batch.<str:kind>",
        subsidy_runs.run_batch,
        name="subsidy-run-batch",
    ),
    path("subsidy-runs/<int:pk>/result/", subsidy_runs.run_result, name="subsidy-run-result"),
    path("groups/<int:pk>/", settlement_groups.group_detail, name="group-detail"),
    path("groups/<int:pk>/approve/", approvals.group_approve, name="group-approve"),
    path("statements/<int:pk>/", settlement_statements.statement_detail, name="statement-detail"),
    path(
        "statements/<int:pk>/statement.pdf",
        settlement_statements.statement_pdf,
        name="statement-pdf",
    ),
    path("statements/<int:pk>/approve/", approvals.statement_approve, name="statement-approve"),
    path("statements/<int:pk>/pay/", payments.payment_record, name="payment-record"),
    path(
        "statements/<int:pk>/send-back/", approvals.statement_send_back, name="statement-send-back"
    ),
    path("households/<int:pk>/", statements.household_settlement, name="household-settlement"),
    path(
        "households/<int:pk>/transition/",
        statements.transition_record,
        name="transition-record",
    ),
    path("households/<int:pk>/adjustments/", statements.adjustment_add, name="adjustment-add"),
    path("households/<int:pk>/outcome/", statements.outcome_choose, name="outcome-choose"),
    path("households/<int:pk>/compute/", statements.statement_compute, name="statement-compute"),
    path("households/<int:pk>/correction/", statements.correction_open, name="correction-open"),
    path(
        "households/<int:pk>/bank-accounts/",
        bank_accounts.bank_account_record,
        name="bank-account-record",
    ),
    path(
        "bank-accounts/<int:pk>/confirm/",
        bank_accounts.bank_account_confirm,
        name="bank-account-confirm",
    ),
    path(
        "bank-accounts/<int:pk>/reject/",
        bank_accounts.bank_account_reject,
        name="bank-account-reject",
    ),
    path(
        "households/<int:pk>/switch-to-cash/",
        overdue.switch_to_cash,
        name="switch-to-cash",
    ),
    path("handover/", handover.handover_list, name="handover-list"),
    path("handover/<int:pk>/", handover.handover_detail, name="handover-detail"),
    path("handover/<int:pk>/keys/", handover.handover_record, name="handover-record"),
    path("handover/<int:pk>/move-in/", handover.handover_move_in, name="handover-move-in"),
    path("handover/<int:pk>/agreement/issue/", agreements.agreement_issue, name="agreement-issue"),
    path(
        "handover/<int:pk>/agreement.pdf", agreements.agreement_download, name="agreement-download"
    ),
    path("handover/<int:pk>/agreement/sign/", agreements.agreement_sign, name="agreement-sign"),
    path("handover/<int:pk>/defects/new/", defects.defect_report, name="defect-report"),
    path("defects/", defects.defect_list, name="defect-list"),
    path("defects/<int:pk>/", defects.defect_detail, name="defect-detail"),
    path("defects/<int:pk>/close/", defects.defect_close, name="defect-close"),
    path("defects/photos/<int:pk>/", defects.defect_photo, name="defect-photo"),
]
