"""The site's URLs and the benchmark's baseline: a view that does nothing, behind the same
middleware as every page."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def trivial(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")


urlpatterns = [
    path("bench/trivial/", trivial),
    path("", include("resettlement.urls")),
]
