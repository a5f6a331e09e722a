"""Issue 10: a role belongs to a membership (user x center). The same person counsels in TLGC and
trains in TLGB; every check asks for the role in the lead's center, on every door."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessAction, AccessLog, CenterMembership, Role, User
from leads.forms import CenterChoices
from leads.models import Lead
from leads.tests.factories import UserFactory, make_lead

pytestmark = pytest.mark.django_db

CHILD = {"first_name": "Ira", "last_name": "Rao", "dob": datetime.date(2021, 1, 5), "gender": "Girl"}


@pytest.fixture
def priya(c, b):
    """Counselor in TLGC, trainer in TLGB."""
    user = UserFactory(username="priya", role=Role.COUNSELOR, centers=[c.center])
    user.add_to_center(b.center, role=Role.TRAINER)
    return User.objects.get(pk=user.pk)


def test_the_role_is_the_memberships(priya, c, b):
    assert (priya.role_in(c.center), priya.role_in(b.center)) == (Role.COUNSELOR, Role.TRAINER)
    assert set(CenterMembership.objects.filter(user=priya).values_list("role", flat=True)) == {"COUNSELOR", "TRAINER"}


def test_a_counselor_here_creates_enquiries_here_and_not_where_she_trains(priya, c, b):
    make_lead(c.center, priya, child=CHILD, parent={"name": "P", "phone": "+919811100001"})
    with pytest.raises(PermissionDenied):
        make_lead(b.center, priya, child=CHILD, parent={"name": "Q", "phone": "+919811100002"})
    assert Lead.objects.filter(center=b.center).count() == 0


def test_pages_ask_for_the_role_in_the_leads_center(client, priya, c, b):
    theirs = make_lead(b.center, b.counselor)
    ours = make_lead(c.center, c.counselor)
    client.force_login(priya)
    assert client.get(reverse("leads:lead_detail", args=[ours.pk])).status_code == 200
    # In TLGB she is a trainer: no lead pages there, whatever she may do in TLGC.
    assert client.get(reverse("leads:lead_detail", args=[theirs.pk])).status_code == 403
    version = Lead.objects.get(pk=theirs.pk).updated_at.isoformat()
    close = client.post(reverse("leads:lead_close", args=[theirs.pk]), {"version": version, "close-reason": "x"})
    assert close.status_code == 403
    assert Lead.objects.get(pk=theirs.pk).status == "ENQUIRY_RECEIVED"


def test_choices_follow_the_role_in_each_center(priya, c, b):
    assert priya in CenterChoices(c.center, c.admin).staff and priya not in CenterChoices(c.center, c.admin).trainers
    assert priya in CenterChoices(b.center, b.admin).trainers and priya not in CenterChoices(b.center, b.admin).staff
    assert set(User.objects.in_centers(b.center, roles=[Role.TRAINER])) == {b.trainer, priya}


def test_a_trainer_here_records_only_her_own_visits_there(priya, c, b):
    from leads.tests.factories import book_visit, started

    lead = make_lead(b.center, b.counselor)
    at = timezone.now() + datetime.timedelta(days=1)
    visit = started(book_visit(lead, at=at, batch=b.batch, by=b.counselor))  # b.trainer's batch
    with pytest.raises(PermissionDenied):
        visit.record_attendance(by=priya)
    b.batch.trainer = priya
    b.batch.save()
    visit.refresh_from_db()
    visit.record_attendance(by=priya)
    assert visit.attended_at is not None


# -- admin: roles per membership, changed only by an admin of that center ---------------------------


def _form(user, centers, **extra):
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "phone": user.phone,
        "role": user.role,
        "is_active": "on",
        "centers": [center.pk for center in centers],
    }
    data.update(extra)
    return data


def test_center_admin_changes_the_role_in_their_center_only_and_it_is_logged(client, priya, c, b):
    client.force_login(b.admin)
    url = reverse("admin:accounts_user_change", args=[priya.pk])
    response = client.post(url, _form(priya, [b.center], **{f"role_in_{b.center.pk}": "COUNSELOR"}))
    assert response.status_code == 302
    priya = User.objects.get(pk=priya.pk)
    assert (priya.role_in(c.center), priya.role_in(b.center)) == (Role.COUNSELOR, Role.COUNSELOR)
    row = AccessLog.objects.get(action=AccessAction.STAFF, center=b.center)
    assert row.detail == f"role in center {b.center.pk}: COUNSELOR" and row.user == b.admin


def test_an_admin_of_one_center_cannot_make_a_shared_person_a_center_admin(client, priya, c, b):
    client.force_login(b.admin)
    url = reverse("admin:accounts_user_change", args=[priya.pk])
    response = client.post(url, _form(priya, [b.center], **{f"role_in_{b.center.pk}": "CENTER_ADMIN"}), follow=True)
    assert "only an admin of all of this person" in response.content.decode()
    priya = User.objects.get(pk=priya.pk)
    assert priya.role_in(b.center) == Role.TRAINER and not priya.is_staff


def test_making_someone_a_center_admin_in_one_center_gives_admin_there_only(client, c, b, superadmin):
    user = UserFactory(username="asha", role=Role.COUNSELOR, centers=[c.center, b.center])
    client.force_login(superadmin)
    url = reverse("admin:accounts_user_change", args=[user.pk])
    response = client.post(url, _form(user, [c.center, b.center], **{f"role_in_{c.center.pk}": "CENTER_ADMIN"}))
    assert response.status_code == 302
    user = User.objects.get(pk=user.pk)
    assert user.is_staff and user.administers(c.center) and not user.administers(b.center)


# -- the migration ----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_migration_puts_each_users_global_role_on_their_memberships():
    from leads.tests.migrating import migrate, newest_afterwards

    with newest_afterwards():
        old = migrate([("accounts", "0004_accesslog_append_only")])
        Center, OldUser = old.get_model("accounts", "Center"), old.get_model("accounts", "User")
        Membership, Permission = old.get_model("accounts", "CenterMembership"), old.get_model("auth", "Permission")
        center = Center.objects.create(name="Old", code="OLDM", timezone="Asia/Kolkata")
        perm = Permission.objects.get(codename="work_in_center")
        ids = {}
        for role in ("TRAINER", "CENTER_ADMIN"):
            user = OldUser.objects.create(username=f"old_{role}", role=role)
            Membership.objects.create(user=user, permission=perm, content_object=center)
            ids[role] = user.pk
        new = migrate([("accounts", "0005_membership_role")])
        roles = dict(new.get_model("accounts", "CenterMembership").objects.values_list("user_id", "role"))
        assert roles == {ids["TRAINER"]: "TRAINER", ids["CENTER_ADMIN"]: "CENTER_ADMIN"}
