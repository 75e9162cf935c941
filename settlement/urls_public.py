"""The resident's after-care pages, mounted at /public/aftercare/."""

from django.urls import path

from settlement import views_public as views

app_name = "settlement-public"

urlpatterns = [
    path("", views.lookup, name="lookup"),
    path("<str:code>/", views.household, name="household"),
    path("<str:code>/report/", views.report, name="report"),
]
