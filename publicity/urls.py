"""Staff publicity pages, included by resettlement/urls.py under /staff/. Each subject keeps
its URL namespace: publications under /staff/publicity/ ("publicity_staff") with their
roster PDFs beside them ("publicity_pdf"), objections under /staff/objections/
("objections"), reports and complaints under /staff/complaints/ ("complaints"), notices under
/staff/notices/ ("notices")."""

from django.urls import include, path

from publicity.views import complaints, notices, objections, publications, rendering

publication_patterns = [
    path("", publications.publication_list, name="publication-list"),
    path("new/", publications.publication_create, name="publication-create"),
    path("overview/", publications.overview, name="overview"),
    path("<int:pk>/", publications.publication_detail, name="publication-detail"),
    path("<int:pk>/publish/", publications.publication_publish, name="publication-publish"),
    path("<int:pk>/withdraw/", publications.publication_withdraw, name="publication-withdraw"),
    path(
        "<int:pk>/new-version/",
        publications.publication_new_version,
        name="publication-new-version",
    ),
]

# Printing published rosters (one PDF per community).
roster_pdf_patterns = [
    path("<int:pk>/pdf/", rendering.roster_jobs, name="jobs"),
    path("<int:pk>/pdf/start/", rendering.roster_start, name="start"),
    path("pdf/jobs/<int:pk>/status/", rendering.job_status, name="job-status"),
    path("pdf/parts/<int:pk>/download/", rendering.part_download, name="part-download"),
    path("pdf/jobs/<int:pk>/zip/", rendering.job_zip, name="job-zip"),
]

objection_patterns = [
    path("", objections.objection_list, name="list"),
    path("<int:pk>/", objections.objection_detail, name="detail"),
    path("<int:pk>/attachment/", objections.objection_attachment, name="attachment"),
]

complaint_patterns = [
    path("", complaints.complaint_list, name="list"),
    path("<int:pk>/", complaints.complaint_detail, name="detail"),
    path("<int:pk>/attachment/", complaints.complaint_attachment, name="attachment"),
    path("<int:pk>/start/", complaints.complaint_act, {"action": "start"}, name="start"),
    path("<int:pk>/answer/", complaints.complaint_act, {"action": "answer"}, name="answer"),
    path("<int:pk>/close/", complaints.complaint_act, {"action": "close"}, name="close"),
]

notice_patterns = [
    path("", notices.notices_start, name="start"),
    path("jobs/<int:pk>/", notices.notices_job, name="job"),
    path("parts/<int:pk>/download/", notices.notices_part_download, name="part-download"),
    path("households/<int:pk>/<slug:notice_type>/", notices.household_notice, name="household"),
]

urlpatterns = [
    path("objections/", include((objection_patterns, "objections"))),
    path("complaints/", include((complaint_patterns, "complaints"))),
    path("publicity/", include((publication_patterns, "publicity_staff"))),
    path("publicity/", include((roster_pdf_patterns, "publicity_pdf"))),
    path("notices/", include((notice_patterns, "notices"))),
]
