from accounts.models import Role, User


def test_createsuperuser_makes_a_super_admin(db):
    user = User.objects.create_superuser("boss", "boss@example.com", "Very-strong-pass-42")
    assert user.role == Role.SUPER_ADMIN and user.is_staff and user.is_superuser


def test_admin_access_follows_the_role(c):
    assert c.admin.is_staff and not c.admin.is_superuser
    assert not c.counselor.is_staff and not c.trainer.is_staff


def test_membership_is_per_center(c, b):
    assert list(c.counselor.centers()) == [c.center]
    assert c.counselor.works_in(c.center) and not c.counselor.works_in(b.center)
    c.counselor.add_to_center(b.center)
    assert c.counselor.works_in(b.center)
    assert set(User.objects.in_centers(b.center)) == {b.admin, b.counselor, b.trainer, c.counselor}


def test_model_level_permission_does_not_open_every_center(c, b):
    from guardian.shortcuts import assign_perm

    assign_perm("accounts.work_in_center", c.counselor)  # a global grant, by mistake
    assert list(c.counselor.centers()) == [c.center]


def test_roles_rights(c):
    assert c.trainer.may("record_outcome") and not c.trainer.may("view_leads")
    assert c.counselor.may("close") and not c.counselor.may("reopen")
    assert c.admin.may("reopen") and c.admin.may("manage_center")
