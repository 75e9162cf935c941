"""A URLconf with the household admin wired as the lead engineer will wire it:
`class HouseholdAdmin(HouseholdImportExportMixin, <today's HouseholdAdmin bases>)`."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from households.admin import HouseholdAdmin
from households.admin_import import HouseholdImportExportMixin
from households.models import Household


class HouseholdAdminWithImport(HouseholdImportExportMixin, HouseholdAdmin):
    pass


site = admin.AdminSite(name="admin")
site.register(Household, HouseholdAdminWithImport)

urlpatterns = [
    path("admin/", site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("staff/", include("households.urls")),
]
