"""The project's URLs with the staff publicity pages mounted at /staff/publicity/, as
resettlement/urls.py mounts them once they are included there; until then (and after)
the staff page tests use this URLconf."""

from django.urls import include, path

from resettlement.urls import urlpatterns as project_urlpatterns

urlpatterns = list(project_urlpatterns)
if not any(getattr(p, "namespace", None) == "publicity_staff" for p in urlpatterns):
    urlpatterns.append(path("staff/publicity/", include("publicity.urls_staff")))
