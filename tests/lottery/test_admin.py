"""The admin shows sessions and their rows read-only; the secret only after sign-off."""

from __future__ import annotations

from django.contrib.auth import get_user_model


def superuser(client):
    user = get_user_model().objects.create_superuser("admin", "admin@example.org", "pw")
    client.force_login(user)
    return user


def test_the_admin_shows_an_open_session_without_its_secret(client, drawing_session):
    superuser(client)
    page = client.get(f"/admin/lottery/lotterysession/{drawing_session.pk}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    assert drawing_session.commitment in text
    assert drawing_session.server_secret not in text and drawing_session.seed not in text
    # rs-lottery-v2: the algorithm and the public value the notary entered, read-only.
    assert drawing_session.algorithm == "rs-lottery-v2" and "rs-lottery-v2" in text
    assert drawing_session.public_value and drawing_session.public_value in text


def test_the_admin_never_adds_changes_or_deletes(client, signed_session):
    superuser(client)
    assert client.get("/admin/lottery/lotterysession/add/").status_code == 403
    page = client.get(f"/admin/lottery/lotterysession/{signed_session.pk}/change/")
    assert page.status_code == 200 and signed_session.server_secret in page.content.decode()
    assert 'name="_save"' not in page.content.decode()
    delete = client.post(
        f"/admin/lottery/lotterysession/{signed_session.pk}/delete/", {"post": "yes"}
    )
    assert delete.status_code == 403
    for model in ("reveal", "allocation", "checkin", "sessionevent"):
        assert client.get(f"/admin/lottery/{model}/").status_code == 200
        assert client.get(f"/admin/lottery/{model}/add/").status_code == 403
