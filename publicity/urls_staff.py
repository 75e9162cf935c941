"""Staff publicity pages, included by resettlement/urls.py under /staff/publicity/."""

from django.urls import path

from publicity import views_staff

app_name = "publicity_staff"

urlpatterns = [
    path("", views_staff.publication_list, name="publication-list"),
    path("new/", views_staff.publication_create, name="publication-create"),
    path("overview/", views_staff.overview, name="overview"),
    path("<int:pk>/", views_staff.publication_detail, name="publication-detail"),
    path("<int:pk>/publish/", views_staff.publication_publish, name="publication-publish"),
    path("<int:pk>/withdraw/", views_staff.publication_withdraw, name="publication-withdraw"),
    path(
        "<int:pk>/new-version/",
        views_staff.publication_new_version,
        name="publication-new-version",
    ),
]
