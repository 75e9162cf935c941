from django.urls import include, path

from households import views

app_name = "staff"

urlpatterns = [
    path("", views.home, name="home"),
    path("households/", views.household_list, name="household-list"),
    path("households/new/", views.household_register, name="household-register"),
    path("households/<int:pk>/", views.household_detail, name="household-detail"),
    path("households/<int:pk>/edit/", views.household_edit, name="household-edit"),
    path("households/<int:pk>/unmask/", views.household_unmask, name="household-unmask"),
    path("households/<int:pk>/members/new/", views.member_edit, name="member-add"),
    path("households/<int:pk>/members/<int:member_pk>/", views.member_edit, name="member-edit"),
    path(
        "households/<int:pk>/members/<int:member_pk>/remove/",
        views.member_remove,
        name="member-remove",
    ),
    path("households/<int:pk>/documents/", views.document_upload, name="document-upload"),
    path("documents/<int:pk>/download/", views.document_download, name="document-download"),
    path("personal-data/unmasked/", views.unmask_record_list, name="unmask-records"),
    # Import pages (template download, upload with preview) live in their own module.
    path("import/", include("households.urls_import")),
]
