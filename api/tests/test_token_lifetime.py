"""API tokens expire after API_TOKEN_DAYS, and die on a password change or deactivation."""

import datetime

from django.utils import timezone

from api.models import ApiToken


def _lead_list(client, raw):
    return client.get("/api/v1/leads", headers={"Authorization": f"Bearer {raw}"})


def test_a_fresh_token_works(client, c):
    _, raw = ApiToken.issue(c.counselor)
    assert _lead_list(client, raw).status_code == 200


def test_a_token_older_than_the_lifetime_is_refused(client, c, settings):
    settings.API_TOKEN_DAYS = 90
    token, raw = ApiToken.issue(c.counselor)
    ApiToken.objects.filter(pk=token.pk).update(created_at=timezone.now() - datetime.timedelta(days=89))
    assert _lead_list(client, raw).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(created_at=timezone.now() - datetime.timedelta(days=91))
    assert _lead_list(client, raw).status_code == 401


def test_a_password_change_ends_earlier_tokens(client, c):
    _, old = ApiToken.issue(c.counselor)
    c.counselor.set_password("A-new-password-2026!")
    c.counselor.save()
    _, new = ApiToken.issue(c.counselor)

    assert _lead_list(client, old).status_code == 401
    assert _lead_list(client, new).status_code == 200


def test_deactivation_ends_tokens(client, c):
    _, raw = ApiToken.issue(c.counselor)
    c.counselor.is_active = False
    c.counselor.save()
    assert _lead_list(client, raw).status_code == 401
