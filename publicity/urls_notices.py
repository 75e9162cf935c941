"""Staff notice pages, included by resettlement/urls.py under /staff/notices/ (namespace
"notices")."""

from django.urls import path

from publicity import views_notices

app_name = "notices"

urlpatterns = [
    path("", views_notices.notices_start, name="start"),
    path("jobs/<int:pk>/", views_notices.notices_job, name="job"),
    path("parts/<int:pk>/download/", views_notices.notices_part_download, name="part-download"),
    path(
        "households/<int:pk>/<slug:notice_type>/",
        views_notices.household_notice,
        name="household",
    ),
]
