"""Staff pages of settlement, mounted at /staff/settlement/: the finance pages (statements,
the approval chain, payments, group settlement) and, included without a namespace of their
own, the agreement, handover and defect pages (settlement/urls_handover.py)."""

from django.urls import include, path

from settlement import views_export, views_inputs
from settlement import views_finance as views

app_name = "settlement"

urlpatterns = [
    path("", views.finance_home, name="finance-home"),
    path("projects/<str:code>/", views.project_groups, name="project-groups"),
    path("projects/<str:code>/chain/", views.chain_edit, name="chain-edit"),
    path(
        "projects/<str:code>/statements.xlsx",
        views_export.statements_xlsx,
        name="statements-xlsx",
    ),
    path("groups/<int:pk>/", views.group_detail, name="group-detail"),
    path("statements/<int:pk>/", views.statement_detail, name="statement-detail"),
    path("statements/<int:pk>/statement.pdf", views.statement_pdf, name="statement-pdf"),
    path("statements/<int:pk>/approve/", views.statement_approve, name="statement-approve"),
    path("statements/<int:pk>/pay/", views.payment_record, name="payment-record"),
    path("statements/<int:pk>/send-back/", views.statement_send_back, name="statement-send-back"),
    path("households/<int:pk>/", views_inputs.household_settlement, name="household-settlement"),
    path(
        "households/<int:pk>/transition/",
        views_inputs.transition_record,
        name="transition-record",
    ),
    path("households/<int:pk>/adjustments/", views_inputs.adjustment_add, name="adjustment-add"),
    path("households/<int:pk>/outcome/", views_inputs.outcome_choose, name="outcome-choose"),
    path("households/<int:pk>/compute/", views_inputs.statement_compute, name="statement-compute"),
    path("", include("settlement.urls_handover")),
]
