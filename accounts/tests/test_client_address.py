"""Which address a request counts as: X-Forwarded-For only through a trusted proxy."""

from django.test import RequestFactory

from accounts.net import client_address


def _request(remote, forwarded=None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.TRUSTED_PROXIES = []
    assert client_address(_request("203.0.113.9", "1.2.3.4")) == "203.0.113.9"


def test_a_trusted_proxy_passes_on_the_client(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_address(_request("10.0.0.2", "198.51.100.7")) == "198.51.100.7"


def test_a_forged_left_part_of_the_header_is_not_believed(settings):
    # the client wrote "1.2.3.4" itself; our proxy appended the address it really saw
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_address(_request("10.0.0.2", "1.2.3.4, 198.51.100.7")) == "198.51.100.7"


def test_a_chain_of_trusted_proxies_is_walked(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "127.0.0.1"]
    assert client_address(_request("127.0.0.1", "198.51.100.7, 10.1.1.1")) == "198.51.100.7"


def test_an_untrusted_peer_cannot_choose_its_address(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_address(_request("203.0.113.9", "10.0.0.5")) == "203.0.113.9"


def test_garbage_in_the_header_keeps_the_proxy_address(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_address(_request("10.0.0.2", "not-an-ip")) == "10.0.0.2"
