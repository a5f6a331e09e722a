"""Junk in every parameter of every URL: a 400 or a message beside the field, never a 5xx.

The routes come from the URLconf (leads, insights, login: everything but admin) and from the API's
OpenAPI document, so a new route or a new API parameter is walked without editing this file.
A short crawl as each persona first reads the pages' links and forms (and submits each form once
as it comes, for the forms its answer shows, such as the board's move dialogs): which parameters
each route takes (query strings, form fields with their input types, choices and hidden values),
real values for the path, and which personas are offered the route.

Then hypothesis sends, per route, requests with junk in path segments, query strings and form or
JSON bodies: dates of year 1, 9999 or 0, huge and negative numbers, `²` and other digits that
`str.isdigit()` accepts, NUL bytes, long and odd unicode text, empty values, repeated parameters,
SQL-ish text. Its explicit examples are a sweep (every parameter gets each sharp kind of junk
with plausible values in the others, so the junk gets past the form to the verbs; and every kind
goes into all parameters at once); its generated examples mix kinds, parameters and personas.

Each request runs in a savepoint rolled back afterwards, so every example meets the same data
(the crawled `version` of a lead page stays valid). Bounded and stable for CI: `JUNK_EXAMPLES`
generated examples per route (default 6), derandomized, no example database. Hypothesis' health
check about function-scoped fixtures does not apply: the examples run inside one test, on clients
built in it. `JUNK_REPORT=path.json` writes the figures, what the crawl learned and every failure.
"""

from __future__ import annotations

import datetime
import json
import logging
import os
import re
import time
import traceback
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, quote, urldefrag, urlencode, urljoin, urlsplit

import pytest
from django.db import transaction
from django.test import Client
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from api.api import api
from api.models import ApiToken
from insights.models import Notification, NotificationKind
from leads import public
from leads.models import IntakeItem, IntakeSource, IntakeStatus
from leads.tests.factories import make_lead, next_session, started

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("JUNK_EXAMPLES", "6"))
API_PREFIX = "/api/v1"
#: URL prefixes walked by other means (the API, from its schema) or not at all (admin; logout ends the session).
SKIPPED_PREFIXES = ("admin/", "api/", "logout/")

# -- junk -----------------------------------------------------------------------------------------

#: Each kind's sharpest value first: the sweep puts that one in every parameter.
JUNK_KINDS = {
    "early": ["0001-01-01", "0000-00-00", "-2026-01-01", "1999-12-31", "0001-01-01T00:00", "0001-01-01 00:00:00"],
    "late": ["9999-12-31", "10000-01-01", "2101-01-01", "9999-12-31T23:59", "9999-12-31 23:59:59"],
    "bad_date": ["2026-02-30", "2026-13-01", "2026-01-01T25:61", "20260101", "01/02/2026", "2026-1-1"],
    "huge": ["9" * 30, str(2**63), str(2**64), "-" + "9" * 30, "0" * 29 + "1", str(2**31), str(2**63 - 1)],
    "number": ["0", "-1", "1e309", "NaN", "inf", "1.5", "0x10", " 1 ", "+1", "1_000"],
    # `str.isdigit()` says yes to all of these; `int()` refuses some and reads others.
    "digits": ["²", "1²", "١٢", "１２", "৩", "⑦"],
    "nul": ["a\x00b", "\x00", "2026-01-01\x00", "1\x00"],
    "long": ["9" * 5000, "x" * 5000, "日本語 " * 800],
    "unicode": ["日本語", "😀", "\u202etxet", "e\u0301", "\r\n", "\x01\x1f\x7f", "\ufeff1", "\ud7ff"],
    "text": ["' OR 1=1 --", "1; DROP TABLE leads_lead;--", "%", "_", "\\", "<script>", "../../etc/passwd", "a:b"],
    "empty": ["", " ", "null", "[]", "true"],
}
#: The kinds that broke something somewhere: the sweep gives each parameter one of each that its
#: input could be parsed as (a free-text box is not read as a date); every parameter gets every
#: kind in the sweep's "all parameters at once" requests and in the generated ones.
SHARP = ["early", "late", "huge", "digits", "nul", "long"]
SHARP_FOR = {
    **dict.fromkeys(["date", "datetime-local", "time"], ["early", "late", "bad_date", "nul"]),
    **dict.fromkeys(["text", "textarea", "email", "tel", "search", "password"], ["nul", "long", "digits"]),
}
#: One kind first, then one of its values: NUL bytes are as likely as any of the many dates.
junk = st.sampled_from(sorted(JUNK_KINDS)).flatmap(lambda kind: st.sampled_from(JUNK_KINDS[kind]))
#: Numbers a digits-only path segment takes (anything else never reaches a view): too big, zero, padded.
JUNK_PATH_NUMBERS = ["0", "00", str(2**31), "9" * 30, str(2**63), str(2**63 - 1), str(2**64), "0" * 29 + "1", "9" * 400]
#: Query parameters of a route whose pages the crawl saw no parameter for ("load more" needs 51 cards).
QUERY_NAMES = ["offset", "page", "to", "next", "close", "step", "all", "part", "format", "o", "center"]
#: Parameters not worth junk: the test client does not check CSRF tokens.
IGNORED = {"csrfmiddlewaretoken"}


def _plausible(kind: str) -> list[str]:
    """Values an input of this type would send, for the parameters that are not the junk one."""
    today = timezone.localdate()
    return {
        "date": [(today + datetime.timedelta(days=2)).isoformat(), today.isoformat(), "2022-06-15"],
        "datetime-local": [f"{today + datetime.timedelta(days=2)}T10:00"],
        "email": ["asha@example.com"],
        "tel": ["+919812345678", "98123 45678"],
        "number": ["1", "2"],
    }.get(kind, ["Plain words", "Asha"])


# -- what the pages offer -------------------------------------------------------------------------


@dataclass
class Params:
    values: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    kinds: dict[str, str] = field(default_factory=dict)  # input type: date, text, hidden, radio, ...

    def add(self, name: str, value: str | None, kind: str = "") -> None:
        if name in IGNORED:
            return
        self.values[name]  # a name without a value is still a parameter
        if value:
            self.values[name].add(value)
        if kind:
            self.kinds.setdefault(name, kind)

    def plausible(self, name: str) -> list[str]:
        return sorted(self.values.get(name) or ()) or _plausible(self.kinds.get(name, ""))


@dataclass
class Knowledge:
    """What the crawl learned about one route: real path values, parameters, who is offered it."""

    kwargs: dict[str, list[dict]] = field(default_factory=lambda: defaultdict(list))  # by persona
    get: Params = field(default_factory=Params)
    post: Params = field(default_factory=Params)
    personas: set[str] = field(default_factory=set)
    methods: set[str] = field(default_factory=set)


class _PageParser(HTMLParser):
    """Links (href, hx-get, hx-post) and forms (method, action, fields) of a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []  # (method, url)
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for attr, method in (("href", "GET"), ("hx-get", "GET"), ("hx-post", "POST")):
            if attrs.get(attr) and tag != "form":
                self.links.append((method, attrs[attr]))
                if self._form is not None:  # an input validated on its own posts its form's fields
                    self._form["actions"].append((method, attrs[attr]))
        if tag == "form":
            method = (attrs.get("method") or ("post" if attrs.get("hx-post") else "get")).upper()
            action = attrs.get("action") or attrs.get("hx-post") or attrs.get("hx-get") or ""
            self._form = {"actions": [(method, action)], "fields": []}
            self.forms.append(self._form)
        elif tag in ("input", "select", "textarea", "button") and attrs.get("name") and self._form is not None:
            kind = {"select": "select", "textarea": "textarea"}.get(tag, attrs.get("type") or "text")
            self._form["fields"].append((attrs["name"], attrs.get("value"), kind))
            self._select = attrs["name"] if tag == "select" else None
        elif tag == "option" and self._select and self._form is not None:
            self._form["fields"].append((self._select, attrs.get("value"), "select"))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


@dataclass
class Route:
    name: str  # "leads:lead_detail"
    template: str  # "/leads/<int:pk>/"
    numeric: dict[str, bool]  # path parameter -> takes only digits

    def url(self, values: dict[str, str]) -> str:
        return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: quote(values[m.group(1)], safe=""), self.template)


def web_routes() -> list[Route]:
    """Every route of the URLconf outside admin and the API, with its path parameters."""
    routes = []

    def walk(patterns, prefix: str, namespace: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if route.startswith(SKIPPED_PREFIXES):
                continue
            if isinstance(pattern, URLResolver):
                walk(
                    pattern.url_patterns, route, f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                )
            elif isinstance(pattern, URLPattern):
                numeric = {
                    name: bool(re.fullmatch(r"[\[\]0-9\-{},+\\d]+", converter.regex))
                    for name, converter in pattern.pattern.converters.items()
                }
                routes.append(Route(f"{namespace}{pattern.name}", "/" + route, numeric))

    walk(get_resolver().url_patterns, "", "")
    return routes


def _route_name(match) -> str:
    return f"{match.namespace}:{match.url_name}" if match.namespace else match.url_name


def crawl(clients: dict[str, Client], routes: list[Route], max_pages: int = 120) -> dict[str, Knowledge]:
    """Read the pages each persona reaches from the parameterless routes; learn the routes' parameters.

    Each persona visits the least-visited route's pages first, and submits each route's form once
    as the page fills it in (rolled back), for the forms only an answer shows (the board's dialogs).
    """
    known: dict[str, Knowledge] = defaultdict(Knowledge)
    seeds = [reverse(route.name) for route in routes if not route.numeric and route.name != "login"]
    for persona, client in clients.items():
        queue: list[tuple[str, str, str, list]] = [("GET", url, _name_of(url), []) for url in seeds]
        seen, visits = set(), Counter()
        while queue and len(seen) < max_pages:
            queue.sort(key=lambda item: visits[(item[0], item[2])])  # stable: breadth over routes
            method, url, name, fields = queue.pop(0)
            key = (method, url, tuple(fields))
            # A page with path values shows other objects' forms; one with only a query string, the same ones.
            limit = 2 if method == "POST" or not resolve(urlsplit(url).path).captured_kwargs else 6
            if key in seen or visits[(method, name)] >= limit:
                continue
            seen.add(key)
            visits[(method, name)] += 1
            with transaction.atomic():
                if method == "GET":
                    response = client.get(url)
                else:  # each choice list's next value, so that "Move to…" opens another dialog each time
                    choices = defaultdict(list)
                    for field_name, value, kind in fields:
                        if value is not None and kind != "submit":
                            choices[field_name].append(value)
                    data = [(n, values[visits[(method, name)] % len(values)]) for n, values in choices.items()]
                    response = client.post(url, urlencode(data), content_type="application/x-www-form-urlencoded")
                if getattr(response, "streaming", False):  # read inside the savepoint its cursor lives in
                    b"".join(response.streaming_content)
                transaction.set_rollback(True)
            if response.status_code not in (200, 400) or "html" not in response.get("Content-Type", ""):
                continue
            parser = _PageParser()
            parser.feed(response.content.decode())
            for link_method, link in parser.links:
                if link.startswith("#"):
                    continue
                target = urldefrag(urljoin(url, link)).url
                if _learn(known, persona, target, link_method, []) and link_method == "GET":
                    queue.append(("GET", target, _name_of(target), []))
            for form in parser.forms:
                for form_method, action in form["actions"]:
                    target = urljoin(url, action or url)
                    if _learn(known, persona, target, form_method, form["fields"]):
                        queue.append((form_method, target, _name_of(target), form["fields"]))
    return known


def _name_of(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.netloc not in ("", "testserver") or parts.path.startswith(("/admin/", "/api/", "/logout/", "/static/")):
        return None
    try:
        match = resolve(parts.path)
    except Resolver404:
        return None
    return f"{match.namespace}:{match.url_name}" if match.namespace else match.url_name


def _learn(known, persona: str, url: str, method: str, fields: list) -> bool:
    name = _name_of(url)
    if name is None:
        return False
    entry = known[name]
    entry.personas.add(persona)
    entry.methods.add(method)
    kwargs = {key: str(value) for key, value in resolve(urlsplit(url).path).captured_kwargs.items()}
    if kwargs and kwargs not in entry.kwargs[persona]:
        entry.kwargs[persona].append(kwargs)  # a notification's id is its recipient's only
    params = entry.post if method == "POST" else entry.get
    for key, value in parse_qsl(urlsplit(url).query, keep_blank_values=True):
        params.add(key, value)
    for key, value, kind in fields:
        params.add(key, value, kind)
    return True


# -- the world the requests meet ------------------------------------------------------------------


def _world(c, b, superadmin) -> dict:
    """Leads of TLGC in every kind of state (and one of TLGB), with a visit, a follow-up, notifications.

    The leads whose pages hold the most forms (a visit's outcome, a follow-up's actions, reopen) are
    the newest, so the lists show them first and the crawl reaches them within its budget.
    """
    today = timezone.localdate(timezone=c.center.tzinfo)
    other = make_lead(b.center, b.counselor)
    fresh = make_lead(c.center, c.counselor)
    make_lead(c.center, c.counselor).enroll_and_convert(batch=c.batch, start_date=today, by=c.admin)
    follow_up = make_lead(c.center, c.counselor).add_follow_up(scheduled_date=today, by=c.counselor)
    visit_lead = make_lead(c.center, c.counselor)
    visit = visit_lead.schedule_intro_visit(
        scheduled_at=next_session(c.batch), batch=c.batch, trainer=c.trainer, by=c.counselor
    )
    started(visit, minutes_ago=10)  # under way: its card offers Attended and No-show to crawl
    recorded = make_lead(c.center, c.counselor).schedule_intro_visit(
        scheduled_at=next_session(c.batch), batch=c.batch, trainer=c.trainer, by=c.counselor
    )
    started(recorded, minutes_ago=10).record_outcome(outcome="NO_SHOW", by=c.trainer)  # "Undo / correct" to crawl
    # Newest: the lead page now holds more forms (editing the child and parents), and the crawl's
    # budget must still reach a closed lead's reopen form.
    make_lead(c.center, c.counselor).close(reason="Moved away", by=c.counselor)
    for user in (c.counselor, c.admin, c.trainer, superadmin):
        Notification.objects.create(
            recipient=user, kind=NotificationKind.OVERDUE, title="Call back", url=f"/leads/{fresh.pk}/", lead=fresh
        )
    # An intake inbox item waiting for review (its link and dismiss forms).
    source = IntakeSource.objects.create(center=c.center, kind="meta", assign_to=c.counselor)
    item = IntakeItem.objects.create(
        source=source, external_id="lg-junk", payload={"field": "leadgen"}, status=IntakeStatus.NEEDS_REVIEW
    )
    ids = [str(pk) for pk in (fresh.pk, visit_lead.pk, visit.pk, follow_up.pk, follow_up.lead_id, other.pk, item.pk)]
    ids += [str(pk) for pk in Notification.objects.values_list("pk", flat=True)]
    # Text path values no staff page links to: the public enquiry form's center code, and the
    # signed link of a parent's online booking (leads/public.py).
    words = {"code": c.center.code, "token": public.booking_token(fresh)}
    return {"ids": ids, "words": words, "lead_id": fresh.pk, "iv_id": visit.pk, "follow_up_id": follow_up.pk}


@dataclass
class Results:
    requests: int = 0
    statuses: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    per_route: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    reached: Counter = field(default_factory=Counter)

    def send(self, route: str, persona: str, client: Client, method: str, url: str, **kwargs) -> None:
        """One request in a savepoint that is rolled back; a 5xx or an exception is a failure."""
        self.requests += 1
        body = kwargs.get("data", "")
        where = f"{method} {url[:300]!r} as {persona}" + (f" body={str(body)[:300]!r}" if body else "")
        try:
            with transaction.atomic():
                response = client.generic(method, url, **kwargs)
                if getattr(response, "streaming", False):
                    b"".join(response.streaming_content)  # a stream may fail after its headers
                transaction.set_rollback(True)
        except Exception as error:  # the view raised: a 500 for the user
            self.statuses[500] += 1
            self.per_route[route][500] += 1
            self.reached[route] += 1
            frames = traceback.extract_tb(error.__traceback__)
            ours = [f for f in frames if "site-packages" not in f.filename and "/tests/" not in f.filename]
            at = " < ".join(f"{'/'.join(f.filename.split('/')[-2:])}:{f.lineno}" for f in frames[-1:] + ours[-1:])
            self.failures.append(f"{where}: {type(error).__name__}: {str(error)[:200]} at {at}")
            return
        self.statuses[response.status_code] += 1
        self.per_route[route][response.status_code] += 1
        if response.status_code not in (401, 403, 404, 405):
            self.reached[route] += 1
        if response.status_code >= 500:
            self.failures.append(f"{where}: status {response.status_code}")


def _settings(examples: int):
    return settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],  # failures are recorded, not raised: nothing to shrink
        suppress_health_check=list(HealthCheck),
    )


# -- the web routes -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One request: who sends it, how, the path's values and the parameters (a name may repeat)."""

    persona: str
    method: str
    path: tuple[tuple[str, str], ...]
    pairs: tuple[tuple[str, str], ...]
    htmx: bool = False


class RouteWalk:
    """The sweep and the generated requests of one route, from what the crawl learned about it."""

    def __init__(self, route: Route, entry: Knowledge, world: dict, personas: list[str], pool: list, seen: dict):
        self.route, self.entry, self.world, self.pool, self.seen = route, entry, world, pool, seen
        self.offered = sorted(entry.personas) or personas
        self.personas = personas
        self.get = Params(values=dict(entry.get.values) or {n: set() for n in QUERY_NAMES}, kinds=entry.get.kinds)

    def params(self, method: str) -> Params:
        return self.entry.post if method == "POST" else self.get

    def real_path(self, persona: str, index: int = 0) -> dict[str, str]:
        """Path values a page showed this persona (or anyone), else an object's id or a value seen elsewhere."""
        known = self.entry.kwargs.get(persona) or [kw for kws in self.entry.kwargs.values() for kw in kws]
        values = dict(known[index % len(known)]) if known else {}
        for name, numeric in self.route.numeric.items():
            word = self.world["words"].get(name) or self.seen.get(name, ["x"])[0]
            values.setdefault(name, self.world["ids"][0] if numeric else word)
        return values

    def sweep(self) -> list[Case]:
        """Each parameter with each sharp kind of junk (the others plausible); each kind in every parameter."""
        # A page that posts to itself is swept both ways; one no page links to, too (usual query names).
        return [case for method in sorted(self.entry.methods or {"GET", "POST"}) for case in self._sweep(method)]

    def _sweep(self, method: str) -> list[Case]:
        cases, params, n = [], self.params(method), 0
        names = sorted(params.values)
        for name in names:
            for kind in SHARP_FOR.get(params.kinds.get(name, ""), SHARP):
                n += 1
                junk_value = JUNK_KINDS[kind][0]  # the sharpest of its kind; the others come mixed
                # The others as a page sends them (a query string only carries values a page linked to).
                others = tuple(
                    (other, params.plausible(other)[0])
                    for other in names
                    if other != name and (method == "POST" or params.values[other])
                )
                pairs = ((name, junk_value), *others)
                cases.append(self._case(n, method, pairs))
        for values in JUNK_KINDS.values():
            n += 1
            for value in values[n % len(values) :][:1] if len(names) > 1 else ():
                pairs = tuple((name, value) for name in names)
                cases.append(self._case(n, method, pairs))
        for name, numeric in self.route.numeric.items():
            for value in JUNK_PATH_NUMBERS[2:5] if numeric else ["a\x00b", "x" * 5000, "²"]:
                path = {**self.real_path(self.offered[0]), name: value}
                cases.append(Case(self.offered[0], method, tuple(sorted(path.items())), ()))
        return cases

    def _case(self, n: int, method: str, pairs: tuple) -> Case:
        """The n-th case of the sweep: personas and path values in turn, HTMX every other time."""
        persona = self.offered[n % len(self.offered)]
        return Case(persona, method, tuple(sorted(self.real_path(persona, n).items())), pairs, n % 2 == 0)

    def cases(self):
        """Generated requests: any persona and method, real or junk path values, junk in one, all or some."""

        @st.composite
        def case(draw) -> Case:
            persona = draw(st.sampled_from(self.offered * 3 + self.personas))
            real = self.real_path(persona, draw(st.integers(0, 7)))
            path = {}
            for name, numeric in self.route.numeric.items():
                bad = st.sampled_from(JUNK_PATH_NUMBERS) if numeric else junk
                path[name] = draw(bad) if draw(st.integers(0, 3)) == 0 else real[name]
            # Mostly the methods the pages use; sometimes the other one (a 405).
            used = sorted(self.entry.methods) or ["GET", "POST"]
            method = draw(st.sampled_from(used * 5 + [m for m in ("GET", "POST") if m not in used]))
            pairs = _pairs(draw, self.params(method), self.pool)
            return Case(persona, method, tuple(sorted(path.items())), tuple(pairs), draw(st.booleans()))

        return case()

    def send(self, case: Case, clients: dict, results: Results) -> None:
        url = self.route.url(dict(case.path))
        headers = {"HTTP_HX_REQUEST": "true"} if case.htmx else {}
        if case.method == "POST" and case.htmx and case.pairs:
            headers["HTTP_HX_TRIGGER_NAME"] = case.pairs[0][0]  # enquiry_validate reads the field's name here
        encoded = urlencode(case.pairs)
        client = clients[case.persona]
        if case.method == "GET":
            results.send(self.route.name, case.persona, client, "GET", f"{url}?{encoded}", **headers)
        else:
            kwargs = {"data": encoded, "content_type": "application/x-www-form-urlencoded", **headers}
            results.send(self.route.name, case.persona, client, "POST", url, **kwargs)

    def run(self, clients: dict, results: Results) -> None:
        def walk(case):
            self.send(case, clients, results)

        test = given(case=self.cases())(walk)
        for case in self.sweep():
            test = example(case=case)(test)
        _settings(EXAMPLES)(test)()


def _pairs(draw, params: Params, pool: list[str]) -> list[tuple[str, str]]:
    """Junk in one parameter (the others plausible), or the same junk in all, or a mix; a few strangers."""
    names = sorted(params.values)
    mode = draw(st.sampled_from(["one", "all", "mix", "mix"])) if names else "none"
    target = draw(st.sampled_from(names)) if mode == "one" else None
    everywhere = draw(junk) if mode == "all" else None
    pairs = []
    for name in names:
        if (mode == "one" and name != target) or (mode == "mix" and draw(st.booleans())):
            if draw(st.integers(0, 5)):  # else left out
                pairs.append((name, draw(st.sampled_from(params.plausible(name)))))
            continue
        values = [everywhere] if mode == "all" else draw(st.lists(junk, min_size=1, max_size=3))
        if len(values) > 1 and draw(st.booleans()):
            values[0] = draw(st.sampled_from(params.plausible(name)))  # a=1&a=junk
        pairs += [(name, value) for value in values]
    for name in draw(st.lists(st.sampled_from(pool), max_size=2)):
        pairs.append((name, draw(junk)))
    return pairs


@pytest.mark.timeout(1800)  # walks every route (76 now); 3-4 min alone, far more on a loaded machine
def test_junk_input_never_gives_a_server_error(c, b, superadmin, caplog, capsys):
    caplog.set_level(logging.CRITICAL, logger="django.request")  # thousands of expected 4xx lines
    world = _world(c, b, superadmin)
    personas = {"counselor": c.counselor, "admin": c.admin, "trainer": c.trainer, "superadmin": superadmin}
    clients = {}
    for label, user in personas.items():
        clients[label] = Client()
        clients[label].force_login(user)
    results = Results()
    started = time.monotonic()

    routes = web_routes()
    known = crawl(clients, routes)
    crawl_seconds = time.monotonic() - started
    pool = sorted({name for entry in known.values() for name in [*entry.get.values, *entry.post.values]})
    seen: dict[str, set] = defaultdict(set)
    for entry in known.values():
        for name, values in [*entry.get.values.items(), *entry.post.values.items()]:
            seen[name] |= values
    seen = {name: sorted(values) for name, values in seen.items() if values}
    for route in sorted(routes, key=lambda r: r.name):
        RouteWalk(route, known.get(route.name, Knowledge()), world, sorted(personas), pool, seen).run(clients, results)
    web_seconds = time.monotonic() - started
    _walk_api(world, personas, results)

    # A route whose answers were all 401/403/404/405 never ran its parsing: the walk did not reach it.
    unreached = [r.name for r in routes if not results.reached[r.name]]
    report = {
        "routes": len(routes),
        "api_operations": len(_api_operations()),
        "requests": results.requests,
        "failures": len(results.failures),
        "unreached": unreached,
        "statuses": dict(sorted(results.statuses.items())),
        "crawl_seconds": round(crawl_seconds, 1),
        "web_seconds": round(web_seconds, 1),
        "seconds": round(time.monotonic() - started, 1),
        "examples_per_route": EXAMPLES,
    }
    with capsys.disabled():
        print(f"\nJunk input: {json.dumps(report)}")
        for failure in results.failures[:40]:
            print(f"  FAILURE {failure}")
    if os.environ.get("JUNK_REPORT"):
        learned = {
            name: {
                "kwargs": dict(k.kwargs),
                "personas": sorted(k.personas),
                "get": sorted(k.get.values),
                "post": sorted(k.post.values),
            }
            for name, k in known.items()
        }
        details = {"per_route": dict(results.per_route), "learned": learned, "failure_details": results.failures}
        with open(os.environ["JUNK_REPORT"], "w") as out:
            json.dump({**report, **details}, out, indent=1)

    assert results.requests > 20 * len(routes)
    assert not results.failures, "\n".join(results.failures[:20])
    assert not unreached, f"No request got past 401/403/404/405 on {unreached}: give the world what they need"


# -- the API, from its OpenAPI document ------------------------------------------------------------


def _schema() -> dict:
    return api.get_openapi_schema(path_prefix=API_PREFIX)


def _api_operations() -> list[tuple[str, str, dict]]:
    return [(method.upper(), path, op) for path, item in _schema()["paths"].items() for method, op in item.items()]


def _resolve(schema: dict, components: dict) -> dict:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _json_value(draw, junk, schema: dict, components: dict, ids: list[int], depth: int = 0):
    """A value for a JSON schema: a plausible one, or junk of the wrong size, kind or range."""
    schema = _resolve(schema, components)
    options = schema.get("anyOf") or schema.get("oneOf") or schema.get("allOf")
    if options:
        return _json_value(draw, junk, draw(st.sampled_from(options)), components, ids, depth)
    if draw(st.integers(0, 2)) == 0 or depth > 3:
        return draw(st.one_of(junk, st.sampled_from([2**63, -(2**63) - 1, 10**30, -1, 0, 1.5, None, [], {}, True])))
    kind = schema.get("type")
    if "enum" in schema:
        return draw(st.sampled_from(schema["enum"]))
    if kind == "object":
        return {
            name: _json_value(draw, junk, prop, components, ids, depth + 1)
            for name, prop in sorted(schema.get("properties", {}).items())
            if name in schema.get("required", []) or draw(st.booleans())
        }
    if kind == "array":
        items = schema.get("items", {})
        return [_json_value(draw, junk, items, components, ids, depth + 1) for _ in range(draw(st.integers(0, 2)))]
    if kind == "integer":
        return draw(st.sampled_from([*ids, 2**63 - 1, 2**63, 10**30, 0, -1]))
    if kind == "boolean":
        return draw(st.booleans())
    if schema.get("format") == "date":
        return draw(st.sampled_from([timezone.localdate().isoformat(), *JUNK_KINDS["early"], *JUNK_KINDS["late"]]))
    if schema.get("format") == "date-time":
        tomorrow = (timezone.now() + datetime.timedelta(days=1)).isoformat()
        return draw(st.sampled_from([tomorrow, *JUNK_KINDS["early"], *JUNK_KINDS["late"]]))
    return draw(st.one_of(st.sampled_from(["Asha", "+919876543210"]), junk))


def _walk_api(world: dict, personas: dict, results: Results) -> None:
    """Each operation of the OpenAPI document: each kind of junk alone (explicit), then mixed (generated)."""
    components = _schema()["components"]["schemas"]
    tokens = {label: ApiToken.issue(user, name="junk")[1] for label, user in personas.items()}
    client = Client()
    ids = [int(pk) for pk in world["ids"]]
    for method, path, op in _api_operations():

        def walk(data, kind, method=method, path=path, op=op):
            draw = data.draw
            kind_junk = st.sampled_from(JUNK_KINDS[kind]) if kind else junk
            persona = draw(st.sampled_from(sorted(tokens)))
            query, url = [], path
            for param in op.get("parameters", []):
                name = param["name"]
                if param["in"] == "path":
                    real = str(world.get(name, ids[0]))
                    bad = st.one_of(st.sampled_from(JUNK_PATH_NUMBERS), kind_junk)
                    url = url.replace("{" + name + "}", quote(real if draw(st.integers(0, 2)) else draw(bad), safe=""))
                elif param["in"] == "query" and draw(st.booleans()):
                    value = _json_value(draw, kind_junk, param["schema"], components, ids)
                    values = value if isinstance(value, list) else [value]
                    query += [(name, "" if v is None else str(v)) for v in values]
            kwargs = {"HTTP_AUTHORIZATION": f"Bearer {tokens[persona]}"}
            body = (op.get("requestBody") or {}).get("content", {}).get("application/json")
            if body:
                value = _json_value(draw, kind_junk, body["schema"], components, ids)
                kwargs.update(data=json.dumps(value), content_type="application/json")
            target = f"{url}?{urlencode(query)}" if query else url
            results.send(f"api {method} {path}", persona, client, method, target, **kwargs)

        test = given(data=st.data(), kind=st.sampled_from([None, *JUNK_KINDS]))(
            lambda data, kind: walk(data, kind)  # noqa: B023  (run at once, in this iteration)
        )
        _settings(max(EXAMPLES, 4))(test)()


# -- NUL bytes in the API's text fields ------------------------------------------------------------


def _text_fields(schema: dict, components: dict) -> dict:
    """Every free-text property of a body schema (nested ones too), each set to a text with a NUL byte."""
    schema = _resolve(schema, components)
    fields = {}
    for name, prop in schema.get("properties", {}).items():
        options = [_resolve(option, components) for option in _resolve(prop, components).get("anyOf", [prop])]
        options = [_resolve(option, components) for option in options]
        objects = [option for option in options if "properties" in option]
        if any(o.get("type") == "string" and "enum" not in o and "format" not in o for o in options):
            fields[name] = "a\x00b"
        elif objects and (nested := _text_fields(objects[0], components)):
            fields[name] = nested
    return fields


def _leaves(fields: dict, loc: tuple = ()) -> list[tuple]:
    return [
        leaf
        for name, value in fields.items()
        for leaf in (_leaves(value, (*loc, name)) if isinstance(value, dict) else [(*loc, name)])
    ]


def test_api_names_every_text_field_that_holds_a_nul_byte(c, b, superadmin):
    """A NUL byte in any JSON string field is a 422 naming that field, never a 500 from the database."""
    world = _world(c, b, superadmin)
    client = Client()
    token = ApiToken.issue(superadmin, name="junk")[1]
    components = _schema()["components"]["schemas"]
    checked = 0
    for method, path, op in _api_operations():
        body = (op.get("requestBody") or {}).get("content", {}).get("application/json")
        fields = _text_fields(body["schema"], components) if body else {}
        if not fields:
            continue
        url = re.sub(r"\{(\w+)\}", lambda m: str(world.get(m.group(1), world["lead_id"])), path)
        response = client.generic(
            method, url, json.dumps(fields), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
        )
        assert response.status_code == 422, (method, path, response.status_code, response.content[:300])
        locs = {tuple(entry["loc"][1:]) for entry in response.json()["detail"]}
        for leaf in _leaves(fields):
            assert leaf in locs, (method, path, leaf, response.json())
            checked += 1
    assert checked > 20
