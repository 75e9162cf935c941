"""Agreement, handover and defect pages, included into the "settlement" namespace by
settlement/urls.py (no app_name here)."""

from django.urls import path

from settlement import views_handover as views

urlpatterns = [
    path("handover/", views.handover_list, name="handover-list"),
    path("handover/<int:pk>/", views.handover_detail, name="handover-detail"),
    path("handover/<int:pk>/keys/", views.handover_record, name="handover-record"),
    path("handover/<int:pk>/move-in/", views.handover_move_in, name="handover-move-in"),
    path("handover/<int:pk>/agreement/issue/", views.agreement_issue, name="agreement-issue"),
    path("handover/<int:pk>/agreement.pdf", views.agreement_download, name="agreement-download"),
    path("handover/<int:pk>/agreement/sign/", views.agreement_sign, name="agreement-sign"),
    path("handover/<int:pk>/defects/new/", views.defect_report, name="defect-report"),
    path("defects/", views.defect_list, name="defect-list"),
    path("defects/<int:pk>/", views.defect_detail, name="defect-detail"),
    path("defects/<int:pk>/close/", views.defect_close, name="defect-close"),
    path("defects/photos/<int:pk>/", views.defect_photo, name="defect-photo"),
]
