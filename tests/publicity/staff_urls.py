"""The project's URLs with the staff publicity pages (and the roster PDF pages beside them)
mounted at /staff/publicity/, as resettlement/urls.py mounts them once they are included
there; until then (and after) the staff page tests use this URLconf."""

from django.urls import include, path

from resettlement.urls import urlpatterns as project_urlpatterns

urlpatterns = list(project_urlpatterns)
for namespace, module in (
    ("publicity_staff", "publicity.urls_staff"),
    ("publicity_pdf", "publicity.urls_staff_pdf"),
):
    if not any(getattr(p, "namespace", None) == namespace for p in urlpatterns):
        urlpatterns.append(path("staff/publicity/", include(module)))
