"""factory-boy factories. Persons and families; leads go through `Lead.create_enquiry`."""

import datetime

import factory
from django.utils import timezone

from accounts.models import Center, Role, User
from leads.models import Batch, Enrollment, Lead, LeadSource, Program


class CenterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Center
        django_get_or_create = ("code",)

    name = factory.Sequence(lambda n: f"Center {n}")
    code = factory.Sequence(lambda n: f"C{chr(65 + n // 26 % 26)}{chr(65 + n % 26)}")
    city = "Gurgaon"
    timezone = "Asia/Kolkata"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    role = Role.COUNSELOR
    password = factory.django.Password("demo-pass-123")

    @factory.post_generation
    def centers(self, create, extracted, **kwargs):
        for center in extracted or []:
            self.add_to_center(center)


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program
        django_get_or_create = ("center", "name")

    center = factory.SubFactory(CenterFactory)
    name = "Gym"


class BatchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Batch

    center = factory.SubFactory(CenterFactory)
    program = factory.SubFactory(ProgramFactory, center=factory.SelfAttribute("..center"))
    name = factory.Sequence(lambda n: f"Pre-K Gym {n}")
    weekday = 2
    start_time = datetime.time(16, 0)
    capacity = 10
    min_age_months = 24
    max_age_months = 72
    trainer = None


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrollment

    child = None
    center = factory.LazyAttribute(lambda e: e.child.center)
    batch = None
    start_date = factory.LazyFunction(timezone.localdate)
    plan = "Weekly"


_phone_counter = iter(range(10**6))


def next_phone() -> str:
    return f"+9198{next(_phone_counter):08d}"


def make_lead(center: Center, by: User, **overrides) -> Lead:
    """A new enquiry through the real model method, with a fresh family unless given one."""
    n = next(_phone_counter)
    child = overrides.pop("child", None) or {
        "first_name": f"Child{n}",
        "last_name": "Sharma",
        "dob": datetime.date(2020, 6, 15),
        "gender": "Girl",
    }
    parent = overrides.pop("parent", None) or {
        "name": f"Parent {n}",
        "phone": f"+9197{n:08d}",
        "email": f"parent{n}@example.com",
    }
    overrides.setdefault("source", LeadSource.WALK_IN)
    return Lead.create_enquiry(center=center, child=child, parent=parent, by=by, **overrides)
