from django.urls import path
from django.views.generic import RedirectView

from households.views import documents, imports, registration, review, unmask

app_name = "staff"

urlpatterns = [
    # The staff home is the inbox (oversight), which resettlement/urls.py mounts at this same
    # address ahead of these pages; the name stays here, with all the staff pages' names.
    path("", RedirectView.as_view(pattern_name="oversight:inbox"), name="home"),
    path("households/", registration.household_list, name="household-list"),
    path("households/new/", registration.household_register, name="household-register"),
    path("households/<int:pk>/", registration.household_detail, name="household-detail"),
    path("households/<int:pk>/edit/", registration.household_edit, name="household-edit"),
    path("households/<int:pk>/unmask/", unmask.household_unmask, name="household-unmask"),
    path("households/<int:pk>/members/new/", registration.member_edit, name="member-add"),
    path(
        "households/<int:pk>/members/<int:member_pk>/",
        registration.member_edit,
        name="member-edit",
    ),
    path(
        "households/<int:pk>/members/<int:member_pk>/remove/",
        registration.member_remove,
        name="member-remove",
    ),
    path("households/<int:pk>/documents/", documents.document_upload, name="document-upload"),
    path("documents/<int:pk>/download/", documents.document_download, name="document-download"),
    path("review/", review.review_queue, name="review-queue"),
    path("review/export/", review.review_export, name="review-export"),
    path("review/members/<int:pk>/", review.member_review, name="member-review"),
    path("approval/", review.approval_queue, name="approval-queue"),
    path("approval/export/", review.approval_export, name="approval-export"),
    path("approval/bulk/", review.approval_bulk, name="approval-bulk"),
    path("approval/households/<int:pk>/", review.household_approval, name="household-approval"),
    path("personal-data/unmasked/", unmask.unmask_record_list, name="unmask-records"),
    # Import pages: the template download (the upload with preview is the admin's).
    path("import/template/", imports.import_template, name="import-template"),
]
