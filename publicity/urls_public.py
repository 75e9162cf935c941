"""The public site, included by resettlement/urls.py under /public/ (namespace "public")."""

from django.urls import path

from publicity.views import complaints, public_site

app_name = "public"

urlpatterns = [
    path("", public_site.project_list, name="project-list"),
    path("projects/<str:code>/", public_site.project_detail, name="project-detail"),
    path("publications/<int:pk>/", public_site.publication_detail, name="publication-detail"),
    path(
        "publications/<int:pk>/snapshot.json",
        public_site.publication_snapshot,
        name="publication-snapshot",
    ),
    path(
        "publications/<int:pk>/pdf/<int:part_pk>/",
        public_site.roster_part_download,
        name="roster-part",
    ),
    path("publications/<int:pk>/object/", public_site.objection_file, name="objection-file"),
    path(
        "publications/<int:pk>/object/thanks/",
        public_site.objection_thanks,
        name="objection-thanks",
    ),
    path("my/", public_site.resident_lookup, name="resident-lookup"),
    path("my/<str:code>/", public_site.resident_by_code, name="resident"),
    path("complaints/", complaints.complaint_file, name="complaint-file"),
    path("complaints/receipt/", complaints.complaint_receipt, name="complaint-receipt"),
    path("complaints/status/", complaints.complaint_status, name="complaint-status"),
]
