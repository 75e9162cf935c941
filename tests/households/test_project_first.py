"""Pages that work on one project open on the one being worked on (the newest the user sees)
and offer only that project's communities and groups; the notices page is on the menu."""

from __future__ import annotations

from django.urls import reverse

from tests.households.factories import CommunityFactory, ProjectFactory, VillagerGroupFactory


def _two_projects():
    old = ProjectFactory(code="YH2012", name="老项目")
    old_group = VillagerGroupFactory(
        community=CommunityFactory(project=old, name="旧村"), name="旧村一组"
    )
    new = ProjectFactory(code="AA2013", name="新项目")  # sorts first by code, created last
    new_group = VillagerGroupFactory(
        community=CommunityFactory(project=new, name="新村"), name="新村一组"
    )
    return old, old_group, new, new_group


def test_registration_opens_on_the_newest_project_with_only_its_communities(client, clerk):
    old, old_group, new, new_group = _two_projects()
    client.force_login(clerk)
    page = client.get(reverse("staff:household-register")).content.decode()
    assert f'<option value="{new.code}" selected>' in page
    assert f'name="project" value="{new.pk}"' in page
    assert "新村" in page and "新村一组" in page
    assert "旧村" not in page and "旧村一组" not in page


def test_registration_for_another_project_lists_that_projects_communities(client, clerk):
    old, old_group, new, new_group = _two_projects()
    client.force_login(clerk)
    url = reverse("staff:household-register") + f"?project={old.code}"
    page = client.get(url).content.decode()
    assert f'name="project" value="{old.pk}"' in page
    assert "旧村一组" in page and "新村" not in page


def test_a_community_of_another_project_cannot_be_posted(client, clerk):
    old, old_group, new, new_group = _two_projects()
    client.force_login(clerk)
    response = client.post(
        reverse("staff:household-register"),
        {"project": new.pk, "community": old_group.community_id, "group": old_group.pk},
    )
    assert response.status_code == 200
    assert "community" in response.context["form"].errors


def test_notices_are_on_the_menu_and_open_on_the_newest_project(client, clerk):
    old, old_group, new, new_group = _two_projects()
    client.force_login(clerk)
    home = client.get(reverse("staff:home")).content.decode()
    assert f'href="{reverse("notices:start")}"' in home
    page = client.get(reverse("notices:start")).content.decode()
    assert f'<option value="{new.code}" selected>' in page
    assert f'name="project" value="{new.code}"' in page
