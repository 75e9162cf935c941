"""Projects with their policy, communities and villager groups. Leaders change projects;
everyone with a role reads."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets

from households.access import projects_q, visible_projects
from households.models import (
    Community,
    Project,
    VillagerGroup,
)
from households.services import configuration
from resettlement.api.base import RegistryViewMixin, writes
from resettlement.api.filters import ListFilterBackend, ProjectScopeFilterSet, id_query


class ProjectSerializer(serializers.ModelSerializer):
    """A project and its policy. The checks across fields (the growth deadline not before
    the hukou cutoff, positive areas, a code not taken, the code fixed once given) are
    `households.services.configuration.project_create` / `project_update_policy`'s."""

    class Meta:
        model = Project
        fields = ["id", "code", *configuration.PROJECT_POLICY_FIELDS, "created_at"]
        read_only_fields = ["created_at"]
        # The service says a code is taken (the serializer's own check would race it anyway).
        extra_kwargs = {"code": {"validators": []}}


class CommunitySerializer(serializers.ModelSerializer):
    class Meta:
        model = Community
        fields = ["id", "project", "code", "name"]


class VillagerGroupSerializer(serializers.ModelSerializer):
    class Meta:
        model = VillagerGroup
        fields = ["id", "project", "community", "code", "name"]


class VillagerGroupFilterSet(ProjectScopeFilterSet):
    community = id_query("community_id")


@extend_schema_view(
    create=writes(ProjectSerializer, ProjectSerializer, code=201),
    update=writes(ProjectSerializer, ProjectSerializer),
    partial_update=writes(ProjectSerializer, ProjectSerializer),
)
class ProjectViewSet(
    RegistryViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Projects and their policy. Leaders create and change them; everyone with a role reads.

    Changing a project re-applies the qualification rules to its members not yet approved,
    as the admin does. The code is fixed once the project is created.
    """

    queryset = Project.objects.all()
    serializer_class = ProjectSerializer

    def get_queryset(self) -> QuerySet[Project]:
        return visible_projects(self.request.user)

    def perform_create(self, serializer: ProjectSerializer) -> None:
        data = dict(serializer.validated_data)
        serializer.instance = configuration.project_create(
            actor=self.request.user, code=data.pop("code"), policy=data
        )

    def perform_update(self, serializer: ProjectSerializer) -> None:
        change = configuration.project_update_policy(
            actor=self.request.user, project=serializer.instance, data=serializer.validated_data
        )
        serializer.instance = change.project


@extend_schema_view(list=extend_schema(parameters=[ProjectScopeFilterSet.parameters()]))
class CommunityViewSet(RegistryViewMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Community.objects.all()
    serializer_class = CommunitySerializer
    filter_backends = [ListFilterBackend]
    filterset_class = ProjectScopeFilterSet

    def get_queryset(self) -> QuerySet[Community]:
        return Community.objects.filter(projects_q(self.request.user))


@extend_schema_view(list=extend_schema(parameters=[VillagerGroupFilterSet.parameters()]))
class VillagerGroupViewSet(RegistryViewMixin, viewsets.ReadOnlyModelViewSet):
    queryset = VillagerGroup.objects.all()
    serializer_class = VillagerGroupSerializer
    filter_backends = [ListFilterBackend]
    filterset_class = VillagerGroupFilterSet

    def get_queryset(self) -> QuerySet[VillagerGroup]:
        return VillagerGroup.objects.filter(projects_q(self.request.user))
