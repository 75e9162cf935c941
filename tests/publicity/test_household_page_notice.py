"""The household page offers its written notices, and the link gives the PDF."""

from django.urls import reverse


def test_clerk_prints_a_registration_notice_from_the_household_page(client, clerk, register):
    household = register()
    client.force_login(clerk)
    page = client.get(reverse("staff:household-detail", args=[household.pk]))
    link = reverse("notices:household", args=[household.pk, "registration"])
    assert link in page.content.decode()
    response = client.get(link)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(
        response.streaming_content if response.streaming else [response.content]
    ).startswith(b"%PDF")
