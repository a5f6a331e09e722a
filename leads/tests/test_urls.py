"""The routes: one plain list in leads/urls.py, ids bounded to what the database stores."""

import pytest
from django.urls import Resolver404, resolve, reverse

from crm.converters import MAX_ID
from leads.views.lead_page import ACTION_NAMES


def test_every_lead_page_action_has_its_route():
    for name in ACTION_NAMES:
        assert reverse(f"leads:lead_{name}", args=[7]) == f"/leads/7/{name.replace('_', '-')}/"


@pytest.mark.parametrize(
    "url",
    [
        "/leads/{}/",
        "/leads/1/visits/{}/outcome/",
        "/board/move/{}/",
        "/insights/contact/{}/call/",
        "/trainer/visits/{}/",
    ],
)
def test_an_id_the_database_cannot_store_is_not_a_route(url):
    assert resolve(url.format(MAX_ID)).kwargs  # the largest id still resolves
    for junk in ("0", "00", str(MAX_ID + 1), "9" * 30, "1" * 19 + "0"):
        with pytest.raises(Resolver404):
            resolve(url.format(junk))


def test_a_huge_id_is_a_404_page_not_a_server_error(client, c):
    client.force_login(c.counselor)
    for url in ("/leads/999999999999999999999999999999/", "/leads/9223372036854775808/"):
        assert client.get(url).status_code == 404
    assert client.get(f"/leads/{MAX_ID}/").status_code == 404  # a number the database can hold: no such lead
