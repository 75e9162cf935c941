from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from .health import healthz

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="staff:home", permanent=False)),
    path("healthz/", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("staff/objections/", include("publicity.urls_objections")),
    path("staff/publicity/", include("publicity.urls_staff")),
    path("staff/publicity/", include("publicity.urls_staff_pdf")),
    path("staff/notices/", include("publicity.urls_notices")),
    path("staff/allocation/", include("allocation.urls")),
    path("staff/lottery/", include("lottery.urls_staff")),
    path("staff/settlement/", include("settlement.urls")),
    path("staff/", include("households.urls")),
    path("public/lottery/", include("lottery.urls_public")),
    path("public/aftercare/", include("settlement.urls_public")),
    path("public/", include("publicity.urls_public")),
    path("api/allocation/", include("allocation.api_urls")),
    path("api/lottery/", include("lottery.api_urls")),
    path("api/settlement/", include("settlement.api_urls")),
    path("api/", include("households.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]

admin.site.site_header = _("安置管理系统")
admin.site.site_title = _("安置管理系统")
admin.site.index_title = _("业务管理")
