"""The project's URLs with the roster PDF pages under /staff/publicity/, as the lead
includes them in resettlement/urls.py; added here only while they are not there yet."""

from django.urls import include, path

from resettlement.urls import urlpatterns as project_urlpatterns

urlpatterns = list(project_urlpatterns)
if not any(getattr(p, "namespace", None) == "publicity_pdf" for p in urlpatterns):
    urlpatterns.append(path("staff/publicity/", include("publicity.urls_staff_pdf")))
