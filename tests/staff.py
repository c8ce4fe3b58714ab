"""A staff member's browser session, for tests."""

from __future__ import annotations

import re

import httpx

from tests.cli import PASSWORD


class Staff:
    def __init__(self, service):
        self.service = service
        self.client = service.session()  # closed with the service

    def login(self, email: str, password: str = PASSWORD) -> httpx.Response:
        form = self.client.get("/admin/login")
        token = re.search(r'name="login_token" value="([^"]+)"', form.text).group(1)
        return self.client.post(
            "/admin/login",
            data={
                "login_token": token,
                "email": email,
                "password": password,
                "next": "/admin/cases",
            },
        )

    def csrf(self, path: str) -> str:
        return re.search(r'name="csrf" value="([^"]+)"', self.client.get(path).text).group(1)

    def act(self, reference: str, action: str, **fields: str) -> httpx.Response:
        token = self.csrf(f"/admin/cases/{reference}")
        return self.client.post(
            f"/admin/cases/{reference}/{action}", data={"csrf": token, **fields}
        )
