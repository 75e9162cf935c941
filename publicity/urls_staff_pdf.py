"""Printing published rosters (one PDF per community), for resettlement/urls.py to include
under /staff/publicity/ beside publicity.urls_staff (namespace "publicity_pdf")."""

from django.urls import path

from publicity import views_staff_pdf as views

app_name = "publicity_pdf"

urlpatterns = [
    path("<int:pk>/pdf/", views.roster_jobs, name="jobs"),
    path("<int:pk>/pdf/start/", views.roster_start, name="start"),
    path("pdf/jobs/<int:pk>/status/", views.job_status, name="job-status"),
    path("pdf/parts/<int:pk>/download/", views.part_download, name="part-download"),
]
