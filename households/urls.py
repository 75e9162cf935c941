from django.urls import include, path

from . import views

app_name = "staff"

urlpatterns = [
    path("", views.home, name="home"),
]

# Import pages (template download, upload with preview) live in their own module.
urlpatterns += [path("import/", include("households.urls_import"))]
