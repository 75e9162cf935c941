"""The registry and review API under /api/ (schema at /api/schema/, docs at /api/docs/)."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from households.api import configuration, documents, members, registration

router = DefaultRouter()
router.register("projects", configuration.ProjectViewSet, basename="project")
router.register("communities", configuration.CommunityViewSet, basename="community")
router.register("villager-groups", configuration.VillagerGroupViewSet, basename="villager-group")
router.register("households", registration.HouseholdViewSet, basename="household")
router.register("members", members.MemberViewSet, basename="member")
router.register("documents", documents.DocumentViewSet, basename="document")

urlpatterns = [path("", include(router.urls))]
