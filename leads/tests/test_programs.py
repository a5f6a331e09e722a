"""Programs: what a center offers (Gym, Music, Swim), its batches, the enquiry's program, the filters."""

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from leads.models import Batch, IntroVisit, Lead, Program
from leads.tests.factories import BatchFactory, ProgramFactory, make_lead
from leads.tests.test_enquiry import form_data

pytestmark = pytest.mark.django_db

ENQUIRY = reverse("leads:enquiry_new")
LIST = reverse("leads:lead_list")
BOARD = reverse("leads:board")
DASHBOARD = reverse("insights:dashboard")


@pytest.fixture
def programs(c, b):
    """TLGC offers Gym (c.batch's) and Music; TLGB offers its own Gym."""
    return {
        "gym": c.batch.program,
        "music": ProgramFactory(center=c.center, name="Music"),
        "other": b.batch.program,
    }


# -- the model and its verb ----------------------------------------------------------------------


def test_a_batch_belongs_to_a_program_of_its_center(c, b, programs):
    assert c.batch.program.name == "Gym" and c.batch.program.center == c.center
    wrong = Batch(center=c.center, program=programs["other"], name="X", weekday=1, start_time=datetime.time(9))
    with pytest.raises(ValidationError) as error:
        wrong.clean()
    assert error.value.message_dict == {"program": ["This program belongs to another center."]}


def test_enquiry_records_the_program_the_parent_asks_about(c, programs):
    lead = make_lead(c.center, c.counselor, program=programs["music"])
    assert Lead.objects.get(pk=lead.pk).program == programs["music"]
    assert make_lead(c.center, c.counselor).program is None  # not decided yet: allowed


def test_enquiry_refuses_another_centers_or_a_retired_program(c, programs):
    with pytest.raises(ValidationError) as error:
        make_lead(c.center, c.counselor, program=programs["other"])
    assert error.value.message_dict["program"] == ["This program belongs to another center."]
    Program.objects.filter(pk=programs["music"].pk).update(is_active=False)
    programs["music"].refresh_from_db()
    with pytest.raises(ValidationError) as error:
        make_lead(c.center, c.counselor, program=programs["music"])
    assert error.value.message_dict["program"] == ["This program is no longer offered."]
    assert not Lead.objects.exists()


# -- the enquiry form and the lead page ----------------------------------------------------------


def test_enquiry_form_offers_only_the_centers_active_programs(client, c, programs):
    ProgramFactory(center=c.center, name="Swim", is_active=False)
    client.force_login(c.counselor)
    form = client.get(ENQUIRY).context["form"]
    choices = {label for value, label in form.fields["program"].choices if value}
    assert choices == {"Gym", "Music"}


def test_enquiry_form_saves_the_program_and_the_lead_page_shows_it(client, c, programs):
    client.force_login(c.counselor)
    response = client.post(ENQUIRY, form_data(program=str(programs["music"].pk)))
    assert response.status_code == 302
    lead = Lead.objects.get()
    assert lead.program == programs["music"]
    page = client.get(reverse("leads:lead_detail", args=[lead.pk])).content.decode()
    assert '<div id="lead-program"><dt>Program</dt><dd>Music</dd></div>' in page


def test_enquiry_form_refuses_another_centers_program_beside_the_field(client, c, programs):
    client.force_login(c.counselor)
    response = client.post(ENQUIRY, form_data(program=str(programs["other"].pk)))
    assert response.status_code == 400
    assert response.context["form"].errors["program"]
    assert not Lead.objects.exists()


# -- admin ---------------------------------------------------------------------------------------


def test_center_admin_sees_and_assigns_only_own_centers_programs(client, c, b, programs):
    client.force_login(c.admin)
    listed = client.get(reverse("admin:leads_program_changelist")).context["cl"].result_list
    assert set(listed) == {programs["gym"], programs["music"]}
    assert client.get(reverse("admin:leads_program_change", args=[programs["other"].pk])).status_code == 403
    form = client.get(reverse("admin:leads_batch_add")).context["adminform"].form
    assert {str(v) for v, _ in form.fields["program"].choices if v} == {
        str(programs["gym"].pk),
        str(programs["music"].pk),
    }
    response = client.post(
        reverse("admin:leads_program_add"), {"center": c.center.pk, "name": "Swim", "is_active": "on"}
    )
    assert response.status_code == 302
    assert Program.objects.filter(center=c.center, name="Swim").exists()


# -- filters: list, board, dashboard -------------------------------------------------------------


@pytest.fixture
def asked(c, programs):
    return {
        "gym": make_lead(c.center, c.counselor, program=programs["gym"]),
        "music": make_lead(c.center, c.counselor, program=programs["music"]),
        "none": make_lead(c.center, c.counselor),
    }


def _list_ids(response) -> set[int]:
    return {lead.pk for lead in response.context["page"].object_list}


def test_leads_list_filters_by_program_and_the_url_reproduces_it(client, c, programs, asked):
    client.force_login(c.counselor)
    response = client.get(LIST, {"program": programs["music"].pk})
    assert _list_ids(response) == {asked["music"].pk}
    assert _list_ids(client.get(LIST, {"program": "none"})) == {asked["none"].pk}
    html = response.content.decode()
    assert f'<option value="{programs["music"].pk}" selected>Music</option>' in html
    htmx = client.get(LIST, {"program": programs["gym"].pk}, headers={"HX-Request": "true"})
    assert _list_ids(htmx) == {asked["gym"].pk}
    assert 'id="lead-filters"' not in htmx.content.decode()  # the fragment only; hx-push-url keeps the URL


def test_another_centers_program_is_not_a_choice(client, c, programs, asked):
    client.force_login(c.counselor)
    response = client.get(LIST, {"program": programs["other"].pk})
    assert _list_ids(response) == set()
    assert "program" in response.context["filter"].errors
    choices = {label for value, label in response.context["filter"].form.fields["program"].choices if value}
    assert choices == {"Gym", "Music", "No program"}


def test_board_filters_by_program(client, c, programs, asked):
    client.force_login(c.counselor)
    response = client.get(BOARD, {"program": programs["gym"].pk})
    cards = [lead.pk for column in response.context["columns"] for lead in column.cards]
    assert cards == [asked["gym"].pk]
    html = response.content.decode()
    assert 'name="program"' in html and f'value="{programs["gym"].pk}" selected' in html
    assert f"program={programs['gym'].pk}" in response.context["filter_qs"]  # load more and counts keep it


def test_dashboard_filters_by_program(client, c, programs, asked):
    client.force_login(c.admin)
    everything = client.get(DASHBOARD).context["board"].total.leads
    response = client.get(DASHBOARD, {"program": programs["music"].pk})
    assert (everything, response.context["board"].total.leads) == (3, 1)
    filters = response.context["filters"]
    assert f"program={programs['music'].pk}" in filters.query()  # drill-downs and CSVs keep it
    assert f"program={programs['music'].pk}" in filters.leads_list_query()
    assert f'<option value="{programs["music"].pk}" selected>Music</option>' in response.content.decode()


def test_dashboard_ignores_another_centers_program_with_a_message(client, c, programs, asked):
    client.force_login(c.admin)
    response = client.get(DASHBOARD, {"program": programs["other"].pk}, follow=True)
    assert response.context["board"].total.leads == 3
    assert "Unknown program: showing every program." in response.content.decode()


# -- migration and demo data ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_migration_puts_existing_batches_in_a_default_program_of_their_center():
    executor = MigrationExecutor(connection)
    before = [("leads", "0003_parent_phone_e164"), ("accounts", "0001_initial")]  # centers without later fields
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    center = old.get_model("accounts", "Center").objects.create(name="Old", code="OLDC", city="X")
    old.get_model("leads", "Batch").objects.create(center=center, name="Pre-K", weekday=1, start_time="16:00")
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    batch = Batch.objects.get(name="Pre-K")
    assert (batch.program.name, batch.program.center_id) == ("General", center.pk)


def test_demo_data_gives_every_center_programs_with_batches_and_fitting_visits(db):
    call_command("seed_demo", per_center=40, stdout=io.StringIO())
    for center_code in ("TLGC", "TLGB"):
        names = set(Program.objects.filter(center__code=center_code).values_list("name", flat=True))
        assert names == {"Gym", "Music", "Swim"}
    assert not Batch.objects.filter(program__isnull=True).exists()
    assert Lead.objects.filter(program__isnull=False).count() == Lead.objects.count() == 80
    visits = IntroVisit.objects.select_related("lead", "batch")
    assert visits.exists()
    assert all(visit.batch.program_id == visit.lead.program_id for visit in visits)


def test_batch_factory_batches_are_in_a_program(c):
    assert BatchFactory(center=c.center).program.center == c.center
