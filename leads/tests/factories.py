"""factory-boy factories. Persons and families; leads go through `Lead.create_enquiry`."""

import datetime

import factory
from django.utils import timezone

from accounts.models import Center, Role, User
from leads.models import Batch, Enrollment, ExpectationChoice, IntroVisit, Lead, LeadSource, Program


class CenterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Center
        django_get_or_create = ("code",)
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Center {n}")
    code = factory.Sequence(lambda n: f"C{chr(65 + n // 26 % 26)}{chr(65 + n % 26)}")
    city = "Gurgaon"
    timezone = "Asia/Kolkata"

    @factory.post_generation
    def expectations(center, create, extracted, **kwargs):
        """Every center has its "what the parents expect" list (seeded as the app seeds new centers)."""
        if create:
            ExpectationChoice.seed(center)


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
    max_age_months = 120  # make_lead's child (born June 2020) fits until 2030
    trainer = None


def next_session(batch: Batch, n: int = 0, *, after: datetime.datetime | None = None) -> datetime.datetime:
    """The start of the batch's `n`-th coming session (0: the next one), aware in the center's time
    zone: the time a test books a visit at, since visits are booked on real sessions only."""
    return batch.session_starts(after=after or timezone.now(), count=n + 1)[n]


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrollment

    child = None
    center = factory.LazyAttribute(lambda e: e.child.center)
    batch = None
    start_date = factory.LazyFunction(timezone.localdate)
    plan = "Weekly"


def book_visit(lead: Lead, *, at: datetime.datetime, batch: Batch, by: User, **kwargs):
    """Book through the verb on the batch's next session, then move the visit to `at` in the database:
    for tests of figures over a fixed calendar, where the visit's time matters and the session rule
    (tested in test_sessions.py) does not."""
    from django.core.exceptions import ValidationError

    from leads.lifecycle import SESSION_FULL
    from leads.models import IntroVisit

    full = SESSION_FULL.format(capacity=batch.capacity)
    for n in range(52):  # the first session with a seat (the moved visits keep theirs on paper)
        try:
            visit = lead.schedule_intro_visit(scheduled_at=next_session(batch, n), batch=batch, by=by, **kwargs)
            break
        except ValidationError as error:
            if error.message_dict.get("scheduled_at") != [full]:
                raise
    IntroVisit.objects.filter(pk=visit.pk).update(scheduled_at=at)
    visit.scheduled_at = at
    return visit


def session_choice(batch: Batch, n: int = 0) -> str:
    """What the session picker posts for the batch's `n`-th coming session (leads.forms.SessionChoiceField)."""
    return f"{batch.pk}|{next_session(batch, n).isoformat()}"


def persona_session(n: int = 0) -> datetime.datetime:
    """`next_session` of the personas' batches (conftest's c.batch and b.batch: BatchFactory's
    Wednesday 4:00 PM in an Asia/Kolkata center), for helpers that have no batch at hand."""
    batch = Batch(
        weekday=BatchFactory.weekday, start_time=BatchFactory.start_time, center=Center(timezone="Asia/Kolkata")
    )
    return next_session(batch, n)


_phone_counter = iter(range(10**6))


def next_phone() -> str:
    return f"+9198{next(_phone_counter):08d}"


#: What a counselor records for a parent who agreed on the phone to the enquiry and to reminders.
AGREED = {"method": "PHONE_VERBAL", "processing": True, "reminders": True, "marketing": False}


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
    overrides.setdefault("consent", AGREED)
    return Lead.create_enquiry(center=center, child=child, parent=parent, by=by, **overrides)


def started(visit: IntroVisit, *, minutes_ago: int = 5) -> IntroVisit:
    """Move a visit (scheduled in the future, as the verb requires) to a start `minutes_ago`, so
    its attendance and outcome may be recorded (see INTRO_VISIT_OUTCOME_GRACE_MINUTES)."""
    at = timezone.now() - datetime.timedelta(minutes=minutes_ago)
    IntroVisit.objects.filter(pk=visit.pk).update(scheduled_at=at)
    visit.scheduled_at = at
    return visit
