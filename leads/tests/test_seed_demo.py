"""`make run`'s demo: what seed_demo prints is what a first-time user follows."""

from __future__ import annotations

import io

from django.core.management import call_command


def test_the_demo_prints_each_centers_public_form_and_the_links_work(db, client):
    out = io.StringIO()

    call_command("seed_demo", per_center=3, stdout=out)

    text = out.getvalue()
    for code in ("TLGC", "TLGB"):
        url = f"http://127.0.0.1:8000/enquire/{code}/"
        assert url in text
        assert client.get(url.removeprefix("http://127.0.0.1:8000")).status_code == 200
