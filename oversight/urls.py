"""Oversight pages, included by resettlement/urls.py under /staff/oversight/."""

from django.urls import path

from oversight import views

app_name = "oversight"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("export.xlsx", views.dashboard_export, name="dashboard-export"),
    path("ledger/", views.ledger, name="ledger"),
]
