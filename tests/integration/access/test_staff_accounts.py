"""An admin invites staff by e-mail link, changes their role and deactivates them; every
change of standing ends the account's sessions at once."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from marketplace.users.models import Role
from tests.factories import Factory
from tests.integration.access.helpers import mailed_link
from tests.integration.booking.helpers import assert_problem
from tests.mailbox import Mailbox

GRACE = "grace@example.test"
PASSWORD = "a-long-password-1"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def sign_in(client: AsyncTestClient) -> dict[str, str]:
    response = await client.post("/auth/token", json={"email": GRACE, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return bearer(response.json()["access_token"])


async def test_invite_accept_sign_in_change_role_then_deactivate(
    client: AsyncTestClient, factory: Factory, app_mailbox: Mailbox
) -> None:
    admin = await factory.login(Role.ADMIN)
    invite = {"email": GRACE, "display_name": "Grace", "role": "agent"}
    created = await client.post("/admin/staff/invitations", json=invite, headers=admin.headers)
    assert created.status_code == 201, created.text
    staff = created.json()["staff"]
    assert (staff["role"], staff["status"]) == ("agent", "invited")
    user_id = staff["user_id"]
    # an invitee has no password yet: no way in but the link
    guessed = await client.post("/auth/token", json={"email": GRACE, "password": PASSWORD})
    assert_problem(guessed, 401, "unauthenticated")

    first = await mailed_link(client, app_mailbox, GRACE, "invitation")
    again = await client.post("/admin/staff/invitations", json=invite, headers=admin.headers)
    assert again.status_code == 200, again.text
    token = await mailed_link(client, app_mailbox, GRACE, "invitation", count=2)
    accept = {"token": first, "password": PASSWORD}
    assert_problem(await client.post("/auth/invitations/accept", json=accept), 410, "access-link-revoked")
    short = await client.post("/auth/invitations/accept", json={"token": token, "password": "short"})
    assert_problem(short, 422, "invalid-input")
    accepted = await client.post("/auth/invitations/accept", json={"token": token, "password": PASSWORD})
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "active"
    assert_problem(
        await client.post("/auth/invitations/accept", json={"token": token, "password": PASSWORD}),
        410,
        "access-link-used",
    )

    as_agent = await sign_in(client)
    assert (await client.get("/auth/me", headers=as_agent)).json()["role"] == "agent"
    assert_problem(await client.get("/admin/staff", headers=as_agent), 403, "forbidden")
    taken = await client.post("/admin/staff/invitations", json=invite, headers=admin.headers)
    assert_problem(taken, 409, "conflict")

    changed = await client.put(
        f"/admin/staff/{user_id}/role", json={"role": "dispatcher"}, headers=admin.headers
    )
    assert changed.status_code == 200, changed.text
    assert_problem(await client.get("/auth/me", headers=as_agent), 401, "unauthenticated")
    as_dispatcher = await sign_in(client)
    assert (await client.get("/auth/me", headers=as_dispatcher)).json()["role"] == "dispatcher"

    listed = {s["email"]: s for s in (await client.get("/admin/staff", headers=admin.headers)).json()}
    assert (listed[GRACE]["role"], listed[GRACE]["status"]) == ("dispatcher", "active")
    assert listed[admin.user.email]["status"] == "active"

    gone = await client.post(f"/admin/staff/{user_id}/deactivate", headers=admin.headers)
    assert gone.status_code == 200 and gone.json()["status"] == "deactivated", gone.text
    assert_problem(await client.get("/auth/me", headers=as_dispatcher), 401, "unauthenticated")
    assert_problem(
        await client.post("/auth/token", json={"email": GRACE, "password": PASSWORD}), 401, "unauthenticated"
    )
    # admins keep their own standing; customers are not staff
    own = await client.post(f"/admin/staff/{admin.user.id}/deactivate", headers=admin.headers)
    assert_problem(own, 409, "conflict")
    customer = await factory.login(Role.CUSTOMER)
    assert_problem(
        await client.post(f"/admin/staff/{customer.user.id}/deactivate", headers=admin.headers),
        404,
        "not-found",
    )
    bad_role = await client.put(
        f"/admin/staff/{user_id}/role", json={"role": "customer"}, headers=admin.headers
    )
    assert bad_role.status_code == 422
