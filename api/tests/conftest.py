"""API test helpers: a client that speaks JSON with a bearer token for any persona."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from api.models import ApiToken

BASE = "/api/v1"


class ApiClient:
    """Django's test client with `Authorization: Bearer` and JSON bodies."""

    def __init__(self, user=None, token: str | None = None):
        self.client = Client()
        if token is None and user is not None:
            _, token = ApiToken.issue(user, name="tests")
        self.token = token
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def request(self, method: str, path: str, body=None, **params):
        url = path if path.startswith("/") and path.startswith(BASE) else f"{BASE}{path}"
        kwargs = {"headers": self.headers}
        if method == "get":
            return self.client.get(url, params, **kwargs)
        data = json.dumps(body if body is not None else {}, default=str)
        return getattr(self.client, method)(url, data, content_type="application/json", **kwargs)

    def get(self, path, **params):
        return self.request("get", path, **params)

    def post(self, path, body=None):
        return self.request("post", path, body)

    def patch(self, path, body=None):
        return self.request("patch", path, body)

    def delete(self, path, body=None):
        return self.request("delete", path, body)


@pytest.fixture(autouse=True)
def api_settings(settings):
    settings.ROOT_URLCONF = "api.tests.urls"


@pytest.fixture
def api_as(db):
    """`api_as(user)` -> an ApiClient holding a fresh token of `user`."""
    return ApiClient
