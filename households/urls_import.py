"""Staff import pages, included under /staff/import/ in the "staff" namespace."""

from django.urls import path

from households import views_import

urlpatterns = [
    path("template/", views_import.import_template, name="import-template"),
]
