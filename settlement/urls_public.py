"""The resident's after-care pages, mounted at /public/aftercare/."""

from django.urls import path

from settlement.views import public

app_name = "settlement-public"

urlpatterns = [
    path("", public.lookup, name="lookup"),
    path("<str:code>/", public.household, name="household"),
    path("<str:code>/report/", public.report, name="report"),
]
