"""Every blueprint guards its role: anonymous → log-in page, wrong role → 403, right role → 200."""

from __future__ import annotations

import pytest

from app.enums import Role

GUARDED_PAGES = [
    ("/applicant/", {Role.APPLICANT}),
    ("/review/", {Role.EVALUATOR}),
    ("/manage/", {Role.OFFICER, Role.ADMIN}),
    ("/manage/users", {Role.ADMIN}),
]


@pytest.mark.parametrize(("path", "allowed"), GUARDED_PAGES)
def test_anonymous_visitor_is_sent_to_log_in(client, path, allowed) -> None:  # type: ignore[no-untyped-def]
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")


@pytest.mark.parametrize(("path", "allowed"), GUARDED_PAGES)
@pytest.mark.parametrize("role", list(Role))
def test_each_role_gets_its_pages_and_403_elsewhere(client_as, path, allowed, role) -> None:  # type: ignore[no-untyped-def]
    response = client_as(role).get(path)
    assert response.status_code == (200 if role in allowed else 403)


def test_a_user_with_several_roles_reaches_each_area(client_as) -> None:  # type: ignore[no-untyped-def]
    client = client_as(Role.EVALUATOR, Role.OFFICER)
    assert client.get("/review/").status_code == 200
    assert client.get("/manage/").status_code == 200
    assert client.get("/applicant/").status_code == 403


@pytest.mark.parametrize("path", ["/", "/calls/SMP-COSME-2021-CLUSTER-01", "/auth/login", "/auth/register"])
def test_public_pages_need_no_login(client, seeded, path) -> None:  # type: ignore[no-untyped-def]
    assert client.get(path).status_code == 200


def test_403_is_a_finished_page(client_as) -> None:  # type: ignore[no-untyped-def]
    response = client_as(Role.APPLICANT).get("/manage/")
    assert response.status_code == 403
    assert "Not allowed" in response.get_data(as_text=True)


@pytest.mark.parametrize(("role", "status"), [(Role.OFFICER, 200), (Role.ADMIN, 200), (Role.APPLICANT, 403),
                                              (Role.EVALUATOR, 403)])
def test_call_hub_is_for_officers(client_as, seeded, role, status) -> None:  # type: ignore[no-untyped-def]
    response = client_as(role).get("/manage/calls/SMP-COSME-2021-CLUSTER-01")
    assert response.status_code == status
    if status == 200:
        assert "Country conflict rule" in response.get_data(as_text=True)


def test_call_hub_of_an_unknown_call_is_404(client_as) -> None:  # type: ignore[no-untyped-def]
    assert client_as(Role.OFFICER).get("/manage/calls/NOPE").status_code == 404
