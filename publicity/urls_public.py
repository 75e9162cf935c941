from django.urls import path

from publicity import views_complaints
from publicity import views_public as views

app_name = "public"

urlpatterns = [
    path("", views.project_list, name="project-list"),
    path("projects/<str:code>/", views.project_detail, name="project-detail"),
    path("publications/<int:pk>/", views.publication_detail, name="publication-detail"),
    path(
        "publications/<int:pk>/snapshot.json",
        views.publication_snapshot,
        name="publication-snapshot",
    ),
    path(
        "publications/<int:pk>/pdf/<int:part_pk>/",
        views.roster_part_download,
        name="roster-part",
    ),
    path("publications/<int:pk>/object/", views.objection_file, name="objection-file"),
    path(
        "publications/<int:pk>/object/thanks/",
        views.objection_thanks,
        name="objection-thanks",
    ),
    path("my/", views.resident_lookup, name="resident-lookup"),
    path("my/<str:code>/", views.resident_by_code, name="resident"),
    path("complaints/", views_complaints.complaint_file, name="complaint-file"),
    path("complaints/receipt/", views_complaints.complaint_receipt, name="complaint-receipt"),
    path("complaints/status/", views_complaints.complaint_status, name="complaint-status"),
]
