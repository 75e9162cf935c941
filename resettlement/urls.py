from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from oversight.urls import home_patterns as staff_home_patterns
from resettlement.health import healthz
from resettlement.reauth import LoginView, confirm_password, second_factor
from resettlement.views.audit import audit_heads, audit_heads_json
from resettlement.views.language import choose_language

# Swagger UI: its start-up script is served as a file (the split view), but its page keeps a
# small inline <style>; only this page may use inline styles. Like the schema it describes
# (SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"]), it is for logged-in users only.
api_docs = login_required(
    csp_update({"style-src": [UNSAFE_INLINE]})(
        SpectacularSwaggerSplitView.as_view(url_name="schema")
    )
)

urlpatterns = [
    # The root is the public site's home: residents come here first; staff sign in from its
    # "工作人员登录" link or at /staff/.
    path("", RedirectView.as_view(pattern_name="public:project-list", permanent=False)),
    path("healthz/", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/confirm-password/", confirm_password, name="confirm-password"),
    path("accounts/second-factor/", second_factor, name="second-factor"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/choose/<str:language>/", choose_language, name="choose-language"),
    path("i18n/", include("django.conf.urls.i18n")),
    # /staff/ itself is the inbox (工作台), oversight's; households.urls names it staff:home.
    path("staff/", include(staff_home_patterns)),
    # /staff/objections/, /staff/complaints/, /staff/publicity/, /staff/notices/
    path("staff/", include("publicity.urls")),
    path("staff/allocation/", include("allocation.urls")),
    path("staff/lottery/", include("lottery.urls")),
    path("staff/settlement/", include("settlement.urls")),
    path("staff/tickets/", include("tickets.urls")),
    path("staff/oversight/", include("oversight.urls")),
    path("staff/", include("households.urls")),
    path("public/lottery/", include("lottery.urls_public")),
    path("public/aftercare/", include("settlement.urls_public")),
    path("public/tickets/", include("tickets.urls_public")),
    path("public/audit-heads/", audit_heads, name="audit-heads"),
    path("public/audit-heads.json", audit_heads_json, name="audit-heads-json"),
    path("public/", include("publicity.urls_public")),
    path("api/allocation/", include("allocation.api_urls")),
    path("api/lottery/", include("lottery.api_urls")),
    path("api/settlement/", include("settlement.api_urls")),
    path("api/tickets/", include("tickets.api_urls")),
    path("api/oversight/", include("oversight.api_urls")),
    path("api/", include("households.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", api_docs, name="api-docs"),
]

handler404 = "resettlement.api.exceptions.not_found"
handler400 = "resettlement.api.exceptions.bad_request"
handler403 = "resettlement.views.errors.permission_denied"
handler500 = "resettlement.views.errors.server_error"

admin.site.site_header = _("安置管理系统")
admin.site.site_title = _("安置管理系统")
admin.site.index_title = _("业务管理")
