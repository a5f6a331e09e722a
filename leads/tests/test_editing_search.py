"""Issue 9: the one search finds a phone typed the way people write it."""

import pytest

from leads.models import Lead
from leads.tests.factories import make_lead

FORMS = [
    "+91 98100 55501",  # as the app shows it
    "+919810055501",
    "+91-98100-55501",
    "+91 (981) 005-5501",
    "098100 55501",  # the national 0
    "09810055501",
    "(981) 005-5501",
    "9810055501",
    "98100-55501",
    "98100 55501",
    "0091 98100 55501",
    "91 98100 55501",
    "+91 (0) 98100 55501",
    "55501",  # the end of it
]


@pytest.fixture
def families(c):
    wanted = make_lead(c.center, c.counselor, parent={"name": "Anshu Goyal", "phone": "+919810055501"})
    other = make_lead(c.center, c.counselor, parent={"name": "Ravi Mehta", "phone": "+919810066602"})
    return wanted, other


@pytest.mark.parametrize("typed", FORMS)
def test_search_finds_a_phone_in_every_common_spelling(families, typed):
    wanted, other = families
    found = list(Lead.objects.search(typed))
    assert found == [wanted], typed


def test_search_by_phone_does_not_match_a_different_number(families):
    assert list(Lead.objects.search("+91 98100 55509")) == []
