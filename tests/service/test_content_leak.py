"""What each principal reads, not only which ids it reaches: a content-leak crawl.

Every text field of every seeded record carries a marker naming its owner, its kind and who
may see it: ``MK-<owner>-<kind>-<visibility>-<n>`` (``MK-a1-activity-priv-7``: the first
association of province a, an activity, private to the association). Contacts carry markers
too: e-mail addresses as ``mk-…@example.edu.cn``, phone numbers as numbers listed in
``PHONES``. Each record is also edited once after it is made, so the audit log holds events
about it.

Then every principal crawls everything it can reach: the pages linked from its home, every
GET route of the URL map with the seeded ids put in, every export (xlsx unzipped and read
cell by cell, csv, json, print), and every GET operation of the OpenAPI document with each
kind of token. Any marker the principal may not see fails the test, with the principal, the
URL and the marker.

``SEES`` below is the specification: who may read what.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import re
import zipfile
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html import unescape
from urllib.parse import unquote, urljoin, urlsplit

import pytest
import sqlalchemy as sa
from flask import url_for
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BuildError

from service.activities.models import (
    Activity,
    ConsultingReport,
    Exemplar,
    Nomination,
    TechTransfer,
)
from service.auth.models import User
from service.auth.roles import Role
from service.federation.models import (
    Comment,
    Guidance,
    GuidanceFile,
    GuidanceReceipt,
    Problem,
    ProblemEvent,
)
from service.files.models import StoredFile
from service.governance.models import (
    ApplicationDocument,
    ApplicationEvent,
    CommitteeMember,
    Congress,
    EstablishmentApplication,
    FoundingDocument,
    Meeting,
    Officer,
)
from service.members.models import GroupMember, Member, MemberApplication, MemberImport
from service.suggestions.models import Suggestion
from tenants.db import db
from tenants.scope import system_scope
from tests import factories
from tests.conftest import make_world

# --- the specification: who may see what ------------------------------------------------
#
# A principal stands in one of these relations to a marker's owner:
#   own-admin, own-staff      the owning association's secretariat and staff
#   own-member                the owning association's member (whose record is `self`)
#   own-token                 the owning association's API tokens (read-only and read-write)
#   own-token-rw              its read-write token only
#   officer, edu, fed-token   the owner's federation: officer (省科协), education supervisor
#                             (教育厅), federation token
#   fed-association           staff of another association of the owner's federation
#   national                  a national token granted the owner's federation
#   applicant                 a university applying to found one, by its tracking link
#   operator                  the platform operator
#   anonymous                 nobody signed in
#   stranger                  anyone else: the neighbour association's member, the other
#                             province, and everything in it
#
# The visibility in a marker names one row of this table.

_STAFF = {"own-admin", "own-staff"}
_SUPERVISORS = {"officer", "edu", "fed-token"}
SEES: dict[str, set[str]] = {
    # The association's own records: its staff and its tokens, nobody above it. Private
    # (本会) activities, suggestions never escalated, join applications, imports, groups.
    "priv": _STAFF | {"own-token"},
    # The member's own record: also that member.
    "self": _STAFF | {"own-token", "own-member"},
    # Contacts in clear: staff and the read-write token (a read-only token reads them
    # masked), and the member for their own.
    "clear": _STAFF | {"own-token-rw"},
    "clearself": _STAFF | {"own-token-rw", "own-member"},
    # Who submitted a named suggestion (the account's display name): the secretariat that
    # answers it and the member themself. Never the federation, nor the operator.
    "sub": _STAFF | {"own-member"},
    # Shared with the federation (本会和省级联合组织, escalated suggestions without their
    # submitter, nominations and exemplars it decides, outcomes, guidance responses).
    "fed": _STAFF | {"own-token"} | _SUPERVISORS,
    # Shared with the federation, and the submitting member reads their own item.
    "fedself": _STAFF | {"own-token", "own-member"} | _SUPERVISORS,
    # Public (公开): shared with the federation and upward.
    "pub": _STAFF | {"own-token", "own-member"} | _SUPERVISORS | {"national"},
    # Governance (who leads the association, its meetings): everyone of the association,
    # its federation and national reporting read it.
    "gov": _STAFF | {"own-token", "own-member"} | _SUPERVISORS | {"national"},
    # The federation's own work (problems, comments): the federation only.
    "fedonly": _SUPERVISORS,
    # Guidance sent to every association of the federation, and what it reads upward.
    "all": _SUPERVISORS | {"fed-association"},
    # Guidance sent to the second association only.
    "to2": _SUPERVISORS | {"second-association"},
    # Establishment applications: the applicant (by its tracking link), the federation, and
    # national tokens read them ...
    "up": _SUPERVISORS | {"national", "applicant"},
    # ... but the applicant's contact only the applicant and the federation.
    "fedc": _SUPERVISORS | {"applicant"},
}

MARKER = re.compile(r"mk-(a1|a2|b1|b2|fa|fb)-([a-z]+)-([a-z0-9]+)-(\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class Principal:
    """Who crawls: a signed-in user or a token, and where it stands."""

    name: str
    kind: str  # admin, staff, member, officer, edu, operator, anonymous, token-ro, ...
    tenant: str | None = None  # "a1" for an association's users and tokens
    province: str | None = None  # "a" or "b"; a national token's granted province

    @property
    def api(self) -> bool:
        return self.kind.startswith("token") or self.kind in ("fed-token", "national")


def relation(principal: Principal, owner: str) -> str:
    """How `principal` stands to the owner of a marker ("a1" or "fa")."""
    province = owner[1] if owner.startswith("f") else owner[0]
    kind = principal.kind
    if kind in ("operator", "anonymous"):
        return kind
    if kind == "applicant":  # a university that applied, by its tracking link
        return "applicant" if owner == f"f{principal.province}" else "stranger"
    if kind == "national":
        return "national" if principal.province == province else "stranger"
    if principal.province != province:
        return "stranger"
    if kind in ("officer", "edu", "fed-token"):
        return kind
    if owner.startswith("f"):  # a federation's record, read by one of its associations
        if kind in ("admin", "staff"):
            return "second-association" if principal.tenant.endswith("2") else "fed-association"
        return "stranger"
    if principal.tenant != owner:
        return "stranger"
    return {
        "admin": "own-admin",
        "staff": "own-staff",
        "member": "own-member",
        "token-ro": "own-token",
        "token-rw": "own-token-rw",
    }[kind]


def may_see(principal: Principal, owner: str, visibility: str) -> bool:
    rel = relation(principal, owner)
    allowed = SEES[visibility]
    if rel == "own-token-rw":
        return bool({"own-token", "own-token-rw"} & allowed)
    if rel == "second-association":
        return bool({"second-association", "fed-association"} & allowed)
    return rel in allowed


# --- the seeded world, marked --------------------------------------------------------------


@dataclass
class Marks:
    """What the marking added beyond the factories' world: ids to crawl, phones to find."""

    owners: dict[int, str] = field(default_factory=dict)  # association id -> "a1"
    phones: dict[str, tuple[str, str]] = field(default_factory=dict)  # number -> (owner, vis)
    ids: dict[str, set[int]] = field(default_factory=dict)  # URL parameter -> ids
    province_ids: dict[int, set[int]] = field(default_factory=dict)  # federation -> its ids

    def add_id(self, param: str, value: int, federation_id: int) -> None:
        self.ids.setdefault(param, set()).add(value)
        self.province_ids.setdefault(federation_id, set()).add(value)


_counter = itertools.count(1)


def mk(owner: str, kind: str, vis: str) -> str:
    assert vis in SEES
    return f"MK-{owner}-{kind}-{vis}-{next(_counter)}"


def phone(marks: Marks, owner: str, vis: str) -> str:
    number = f"199{next(_counter):08d}"
    marks.phones[number] = (owner, vis)
    return number


def email(owner: str, kind: str, vis: str) -> str:
    return f"{mk(owner, kind, vis).lower()}@example.edu.cn"


def _set(row, **values) -> None:
    for name, value in values.items():
        setattr(row, name, value)


def _mark_tenant(t: factories.Tenant, owner: str, marks: Marks) -> None:
    s = db.session
    aid, fid = t.association.id, t.association.federation_id
    marks.owners[aid] = owner
    # The member signed in as the association's member submits the named suggestion.
    member_user = s.get(User, t.users[Role.MEMBER].id)
    member_user.display_name = mk(owner, "submitter", "sub")

    own, other = (s.get(Member, m.id) for m in t.members)
    _set(
        own,
        name=mk(owner, "member", "self")[:50],
        department=mk(owner, "member", "self"),
        position=mk(owner, "member", "self"),
        societies=mk(owner, "member", "self"),
        phone=phone(marks, owner, "clearself"),
        email=email(owner, "member", "clearself"),
    )
    _set(
        other,
        name=mk(owner, "member", "priv")[:50],
        department=mk(owner, "member", "priv"),
        position=mk(owner, "member", "priv"),
        societies=mk(owner, "member", "priv"),
        exception_reason=mk(owner, "member", "priv"),
        phone=phone(marks, owner, "clear"),
        email=email(owner, "member", "clear"),
    )
    group = s.get(GroupMember, t.groups[0].id)
    _set(
        group,
        # Group members (院系科协 and the like) organise activities: the federation reads
        # their names as organisers; their leaders and contacts stay the association's.
        name=mk(owner, "group", "fed"),
        kind_name=mk(owner, "group", "fed"),
        leader_name=mk(owner, "leader", "priv")[:50],
        contact_phone=phone(marks, owner, "clear"),
    )
    application = s.get(MemberApplication, t.applications[0].id)
    _set(
        application,
        name=mk(owner, "joiner", "priv")[:50],
        department=mk(owner, "joiner", "priv"),
        societies=mk(owner, "joiner", "priv"),
        statement=mk(owner, "joiner", "priv"),
        phone=phone(marks, owner, "clear"),
        email=email(owner, "joiner", "clear"),
    )
    s.get(MemberImport, t.imports[0].id).filename = mk(owner, "import", "priv") + ".csv"

    shared, private = (s.get(Activity, a.id) for a in t.activities)
    public = factories.make_activity(t.association, visibility="public", flush=False)
    for activity, vis in ((shared, "fed"), (private, "priv"), (public, "pub")):
        _set(
            activity,
            title=mk(owner, "activity", vis),
            place=mk(owner, "activity", vis),
            description=mk(owner, "activity", vis),
            speaker_name=mk(owner, "speaker", vis)[:50],
            co_organisers=[{"name": mk(owner, "partner", vis), "kind": "university"}],
        )
    private_evidence = factories.make_evidence(private)
    s.flush()
    marks.add_id("activity_id", public.id, fid)
    marks.add_id("activity_id", private.id, fid)
    marks.add_id("evidence_id", private_evidence.id, fid)
    for evidence, vis in ((t.evidence[0], "fed"), (private_evidence, "priv")):
        s.get(StoredFile, evidence.file_id).name = mk(owner, "evidence", vis) + ".pdf"
    s.get(StoredFile, t.files[0].id).name = mk(owner, "file", "fed") + ".pdf"

    report = s.get(ConsultingReport, t.consulting_reports[0].id)
    _set(
        report,
        title=mk(owner, "consulting", "fed"),
        authors=mk(owner, "consulting", "fed"),
        recipient=mk(owner, "consulting", "fed"),
        adoption_note=mk(owner, "consulting", "fed"),
    )
    transfer = s.get(TechTransfer, t.transfers[0].id)
    _set(transfer, title=mk(owner, "transfer", "fed"), partner=mk(owner, "transfer", "fed"))
    nomination = s.get(Nomination, t.nominations[0].id)
    _set(
        nomination,
        award=mk(owner, "nomination", "fed"),
        nominee_name=mk(owner, "nominee", "fed")[:50],
        nominee_unit=mk(owner, "nomination", "fed"),
        citation=mk(owner, "nomination", "fed"),
    )
    exemplar = s.get(Exemplar, t.exemplars[0].id)
    _set(
        exemplar,
        name=mk(owner, "exemplar", "fed"),
        unit=mk(owner, "exemplar", "fed"),
        deeds=mk(owner, "exemplar", "fed"),
    )

    named, anonymous = (s.get(Suggestion, x.id) for x in t.suggestions)
    _set(
        named,
        title=mk(owner, "suggestion", "fedself"),
        body=mk(owner, "suggestion", "fedself"),
        answer=mk(owner, "answer", "fedself"),
        escalation_note=mk(owner, "suggestion", "fed"),
    )
    _set(anonymous, title=mk(owner, "suggestion", "priv"), body=mk(owner, "suggestion", "priv"))
    named_private, _ = factories.make_suggestion(
        t.association,
        user=t.users[Role.MEMBER],
        title=mk(owner, "suggestion", "self"),
        body=mk(owner, "suggestion", "self"),
        answer=mk(owner, "answer", "self"),
        flush=False,
    )
    anonymous_escalated, _ = factories.make_suggestion(
        t.association,
        escalated=True,
        title=mk(owner, "suggestion", "fed"),
        body=mk(owner, "suggestion", "fed"),
        escalation_note=mk(owner, "suggestion", "fed"),
        flush=False,
    )
    s.flush()
    marks.add_id("suggestion_id", named_private.id, fid)
    marks.add_id("suggestion_id", anonymous_escalated.id, fid)
    marks.add_id("suggestion_id", anonymous.id, fid)

    meeting = s.get(Meeting, t.governance["meeting_id"])
    meeting.minutes = mk(owner, "minutes", "gov")
    founding = s.get(FoundingDocument, t.governance["founding_document_id"])
    for file_id in (meeting.minutes_file_id, founding.file_id):
        s.get(StoredFile, file_id).name = mk(owner, "paper", "gov") + ".pdf"
    s.get(Congress, t.governance["congress_id"]).notes = mk(owner, "congress", "gov")
    s.get(Officer, t.governance["officer_id"]).eligibility_basis = mk(owner, "officer", "gov")
    for person in s.scalars(
        sa.select(CommitteeMember).where(CommitteeMember.term_id == t.governance["term_id"])
    ):
        person.unit = mk(owner, "committee", "gov")


def _mark_province(p: factories.Province, owner: str, marks: Marks) -> None:
    s = db.session
    fid = p.federation.id
    for tenant, suffix in ((p.first, "1"), (p.second, "2")):
        _mark_tenant(tenant, owner[1] + suffix, marks)
    _set(
        s.get(Guidance, p.guidance_id),
        title=mk(owner, "guidance", "all"),
        body=mk(owner, "guidance", "all"),
    )
    _set(
        s.get(Guidance, p.private_guidance_id),
        title=mk(owner, "guidance", "to2"),
        body=mk(owner, "guidance", "to2"),
    )
    s.get(GuidanceFile, p.guidance_file_id).name = mk(owner, "attachment", "all") + ".pdf"
    # The first association's response: its own record, shared with its federation.
    s.get(GuidanceReceipt, p.receipt_id).response = mk(owner[1] + "1", "response", "fed")
    problem = s.get(Problem, p.problem_id)
    _set(
        problem, title=mk(owner, "problem", "fedonly"), description=mk(owner, "problem", "fedonly")
    )
    for event in s.scalars(sa.select(ProblemEvent).where(ProblemEvent.problem_id == problem.id)):
        event.note = mk(owner, "problem", "fedonly")
    for comment in s.scalars(sa.select(Comment).where(Comment.federation_id == fid)):
        comment.body = mk(owner, "comment", "fedonly")
    application = s.get(EstablishmentApplication, p.application[0])
    _set(
        application,
        host_office=mk(owner, "application", "up"),
        proposed_chair=mk(owner, "chair", "up")[:50],
        proposed_chair_basis=mk(owner, "application", "up"),
        proposed_vice_chairs=mk(owner, "application", "up"),
        proposed_secretary_general=mk(owner, "secretary", "up")[:50],
        contact_name=mk(owner, "applicant", "fedc")[:50],
        contact_email=email(owner, "applicant", "fedc"),
    )
    for event in s.scalars(
        sa.select(ApplicationEvent).where(ApplicationEvent.application_id == application.id)
    ):
        event.comment = mk(owner, "application", "up")
    s.get(ApplicationDocument, p.application_document).name = mk(owner, "document", "up") + ".pdf"


def _edit_once() -> None:
    """Change one marked field of every marked row again, so the audit log holds an update
    event about each record besides its creation (both carry markers of the same class)."""
    s = db.session
    for row in list(s.identity_map.values()):
        for attr in sa.inspect(row).mapper.column_attrs:
            value = getattr(row, attr.key)
            if isinstance(value, str) and (found := MARKER.fullmatch(value)):
                if attr.key in ("name", "nominee_name", "proposed_chair", "contact_name"):
                    continue  # near its column's length; once is enough
                setattr(row, attr.key, mk(found[1], found[2], found[3]))
                break


def mark(world: factories.World) -> Marks:
    marks = Marks()
    _mark_province(world.a, "fa", marks)
    _mark_province(world.b, "fb", marks)
    db.session.flush()
    _edit_once()
    db.session.flush()
    return marks


@pytest.fixture(scope="module")
def build_world() -> Callable:
    """The factories' world with every text field marked."""

    def build(session) -> factories.World:
        world = make_world(session)
        with system_scope("test fixture: mark every text field"):
            world.marks = mark(world)
            session.commit()
            session.expunge_all()
        return world

    return build


# --- who crawls ----------------------------------------------------------------------------

PRINCIPALS = [
    Principal("anonymous", "anonymous"),
    Principal("fa-applicant", "applicant", province="a"),
    Principal("operator", "operator"),
    Principal("a1-admin", "admin", "a1", "a"),
    Principal("a1-staff", "staff", "a1", "a"),
    Principal("a1-member", "member", "a1", "a"),
    Principal("a2-admin", "admin", "a2", "a"),
    Principal("fa-officer", "officer", province="a"),
    Principal("fa-edu", "edu", province="a"),
    Principal("fb-officer", "officer", province="b"),
    Principal("a1-token-ro", "token-ro", "a1", "a"),
    Principal("a1-token-rw", "token-rw", "a1", "a"),
    Principal("fa-token", "fed-token", province="a"),
    Principal("national-a", "national", province="a"),
]
_ROLE = {
    "admin": Role.ASSOCIATION_ADMIN,
    "staff": Role.ASSOCIATION_STAFF,
    "member": Role.MEMBER,
    "officer": Role.FEDERATION_OFFICER,
    "edu": Role.EDUCATION_SUPERVISOR,
}


def _province(world, principal: Principal) -> factories.Province:
    return world.a if principal.province == "a" else world.b


def _tenant(world, principal: Principal) -> factories.Tenant:
    province = _province(world, principal)
    return province.first if principal.tenant.endswith("1") else province.second


def _sign_in(client, world, principal: Principal) -> dict:
    """Sign `client` in as the principal; the headers its requests carry."""
    kind = principal.kind
    if kind in ("anonymous", "applicant"):
        return {}
    if kind == "operator":
        client.login_as(world.operator)
        return {}
    if kind in ("officer", "edu"):
        client.login_as(_province(world, principal).users[_ROLE[kind]])
        return {}
    if kind in ("admin", "staff", "member"):
        client.login_as(_tenant(world, principal).users[_ROLE[kind]])
        return {}
    token = {
        "token-ro": lambda: _tenant(world, principal).tokens["ro"],
        "token-rw": lambda: _tenant(world, principal).tokens["rw"],
        "fed-token": lambda: _province(world, principal).tokens["ro"],
        "national": lambda: world.national_a,
    }[kind]()
    return {"Authorization": f"Bearer {token[1]}"}


# --- what there is to read -----------------------------------------------------------------


def seeded_ids(world, principal: Principal) -> dict[str, set[int]]:
    """Every seeded id of the principal's province (province a for those of none) by the URL
    parameter that names it. The other province's ids are the isolation matrix's: they answer
    404 and show nothing."""
    p = world.b if principal.province == "b" else world.a
    ids: dict[str, set[int]] = {
        k: v & world.marks.province_ids[p.federation.id] for k, v in world.marks.ids.items()
    }

    def add(param: str, *values: int) -> None:
        ids.setdefault(param, set()).update(values)

    if True:
        add("application_id", p.application[0])
        add("application_document_id", p.application_document)
        add("guidance_id", p.guidance_id, p.private_guidance_id)
        add("guidance_file_id", p.guidance_file_id)
        add("receipt_id", p.receipt_id)
        add("problem_id", p.problem_id)
        add("federation_id", p.federation.id)
        add("period_id", p.reporting["period_id"])
        add("rollup_id", p.reporting["rollup_id"])
        for t in (p.first, p.second):
            add("association_id", t.association.id)
            add("member_id", *(m.id for m in t.members))
            add("group_id", *(g.id for g in t.groups))
            add("import_id", *(i.id for i in t.imports))
            add("member_application_id", *(a.id for a in t.applications))
            add("report_id", *t.reports)
            for name, value in t.governance.items():
                add(name, value)
            add("activity_id", *(a.id for a in t.activities))
            add("evidence_id", *(e.id for e in t.evidence))
            add("consulting_report_id", *(r.id for r in t.consulting_reports))
            add("tech_transfer_id", *(r.id for r in t.transfers))
            add("nomination_id", *(n.id for n in t.nominations))
            add("exemplar_id", *(e.id for e in t.exemplars))
            add("suggestion_id", *(s.id for s in t.suggestions))
    return ids


def _values(world, principal, endpoint: str, param: str, ids: dict[str, set[int]]) -> list:
    """The values a URL parameter takes in the crawl."""
    if param in ids:
        return sorted(ids[param])
    if param == "fmt":
        return ["xlsx", "csv", "json"]
    if param == "view":
        return ["overview", "associations", "research"]
    if param == "code":
        if endpoint == "federation_public.exemplar_page":
            return [world.a.federation.code, world.b.federation.code]
        return ["research"]
    if param == "key":  # the tracking link is the applicant's credential
        return [_province(world, principal).application[1]] if principal.kind == "applicant" else []
    if param == "task":
        return ["academic"]
    if param == "year":
        return [2025]
    return []  # a one-time token, a static file name: nothing seeded to read


# Pages a crawl does not open: they change the session or serve files with no record in.
_SKIP_PATHS = ("/static/", "/language/", "/logout", "/account/set-password/")


def route_urls(app, world, principal, ids) -> list[str]:
    """Every GET route of the web, with every seeded id (and format, view, code) put in."""
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.rule.startswith(("/api/", "/static")):
                continue
            names = sorted(rule.arguments)
            choices = [_values(world, principal, rule.endpoint, a, ids) for a in names]
            for combo in itertools.product(*choices):
                with contextlib.suppress(BuildError):  # a format its converter refuses
                    urls.append(url_for(rule.endpoint, **dict(zip(names, combo, strict=True))))
    return [u for u in urls if not u.startswith(_SKIP_PATHS)]


def api_urls(client, world, principal, ids) -> list[str]:
    """Every GET operation of the OpenAPI document, with the seeded ids put in."""
    spec = client.get("/api/v1/openapi.json").get_json()
    urls = []
    for path, operations in spec["paths"].items():
        if "get" not in operations:
            continue
        params = re.findall(r"{(\w+)}", path)
        choices = [_values(world, principal, "", p, ids) for p in params]
        for combo in itertools.product(*choices):
            url = path
            for name, value in zip(params, combo, strict=True):
                url = url.replace(f"{{{name}}}", str(value))
            urls.append(url)
            query = {p["name"] for p in operations["get"].get("parameters", [])}
            if "year" in query:
                urls.append(f"{url}?year=2026")
    return urls


# --- reading a response ----------------------------------------------------------------------

_LINK = re.compile(r"""(?:href|action)="([^"]+)\"""")


def readable(response) -> str:
    """Everything a reader of the response sees: headers (a file's name), the body, and for
    an .xlsx every sheet's cells."""
    parts = [f"{name}: {unquote(value)}" for name, value in response.headers.items()]
    data = response.get_data()
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            for name in book.namelist():
                if name.endswith(".xml"):
                    parts.append(unescape(book.read(name).decode("utf-8")))
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("gb18030", errors="replace")
        parts.append(unescape(text))
    return "\n".join(parts)


def links(response, url: str) -> list[str]:
    """The same-site GET links of an HTML page (forms that GET, such as filters, too)."""
    if not response.content_type.startswith("text/html"):
        return []
    out = []
    for href in _LINK.findall(response.get_data(as_text=True)):
        target = urlsplit(urljoin("http://localhost" + url, unescape(href)))
        if target.netloc == "localhost" and not target.path.startswith(("/api/", *_SKIP_PATHS)):
            out.append(target.path + (f"?{target.query}" if target.query else ""))
    return out


@dataclass(frozen=True)
class Sighting:
    url: str
    marker: str
    owner: str
    kind: str
    visibility: str


def sightings(text: str, url: str, phones: dict[str, tuple[str, str]]) -> Iterator[Sighting]:
    for found in MARKER.finditer(text):
        yield Sighting(url, found[0], found[1].lower(), found[2].lower(), found[3].lower())
    for number, (owner, vis) in phones.items():
        if number in text:
            yield Sighting(url, number, owner, "phone", vis)


# --- the crawl -------------------------------------------------------------------------------

# A page's variants by query (months of a calendar, filters, sort orders, pages of a list):
# a few are enough to read every seeded record, without walking an endless calendar.
_VARIANTS = 4


def crawl(app, client, world, principal: Principal) -> list[Sighting]:
    """Every marker the principal read, where."""
    headers = _sign_in(client, world, principal)
    ids = seeded_ids(world, principal)
    if principal.api:
        start = api_urls(client, world, principal, ids)
    else:
        start = ["/", *route_urls(app, world, principal, ids)]
    adapter = app.url_map.bind("localhost")
    queue, seen, per_endpoint = deque(start), set(), {}
    found: list[Sighting] = []
    while queue:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        try:
            endpoint, _ = adapter.match(urlsplit(url).path, method="GET")
        except HTTPException:  # a link to nowhere, or to a form that only posts
            continue
        if "?" in url:
            per_endpoint[endpoint] = per_endpoint.get(endpoint, 0) + 1
            if per_endpoint[endpoint] > _VARIANTS:
                continue
        response = client.get(url, headers=headers)
        assert response.status_code < 500, (principal.name, url, response.status_code)
        found.extend(sightings(readable(response), url, world.marks.phones))
        if response.status_code in (301, 302, 303) and not principal.api:
            location = urlsplit(urljoin("http://localhost" + url, response.location))
            if location.netloc == "localhost":
                queue.append(location.path + (f"?{location.query}" if location.query else ""))
        if not principal.api:
            queue.extend(links(response, url))
    if principal.kind == "applicant":
        found.extend(_applicant_pages(client, world, principal))
    return found


def _applicant_pages(client, world, principal: Principal) -> list[Sighting]:
    """The applicant's own pages, which take the tracking key in the body (the link carries
    it after `#`): the application, and each document it sent."""
    key = _province(world, principal).application[1]
    page = client.post("/establishment/track", data={"key": key})
    assert page.status_code == 200, page.status_code
    found = list(sightings(readable(page), "/establishment/track", world.marks.phones))
    html = page.get_data(as_text=True)
    forms = re.findall(r'action="(/establishment/track/documents/\d+)"', html)
    for document in forms:
        download = client.post(document, data={"key": key})
        found.extend(sightings(readable(download), document, world.marks.phones))
    return found


# What each principal must find somewhere in its crawl (owner, kind, visibility): the
# records it works with, so that the crawl is known to reach them.
MUST_READ: dict[str, set[tuple[str, str, str]]] = {
    "anonymous": set(),
    "fa-applicant": {("fa", "application", "up"), ("fa", "document", "up")},
    "operator": set(),
    "a1-admin": {
        ("a1", "activity", "priv"),
        ("a1", "suggestion", "priv"),
        ("a1", "joiner", "priv"),
        ("a1", "phone", "clear"),
        ("a1", "import", "priv"),
        ("a1", "submitter", "sub"),
        ("fa", "guidance", "all"),
    },
    "a1-staff": {("a1", "activity", "priv"), ("a1", "member", "priv"), ("a1", "phone", "clear")},
    "a1-member": {
        ("a1", "member", "self"),
        ("a1", "phone", "clearself"),
        ("a1", "minutes", "gov"),
        ("a1", "paper", "gov"),
    },
    "a2-admin": {("a2", "activity", "priv"), ("fa", "guidance", "to2")},
    "fa-officer": {
        ("a1", "activity", "fed"),
        ("a1", "activity", "pub"),
        ("a2", "suggestion", "fed"),
        ("a1", "nomination", "fed"),
        ("a1", "response", "fed"),
        ("a1", "group", "fed"),
        ("fa", "problem", "fedonly"),
        ("fa", "applicant", "fedc"),
    },
    "fa-edu": {("a1", "activity", "fed"), ("a2", "suggestion", "fed"), ("fa", "guidance", "to2")},
    "fb-officer": {("b1", "activity", "fed"), ("b2", "suggestion", "fed")},
    "a1-token-ro": {("a1", "activity", "priv"), ("a1", "suggestion", "priv")},
    "a1-token-rw": {("a1", "member", "priv"), ("a1", "phone", "clear")},
    "fa-token": {("a1", "activity", "fed"), ("a2", "suggestion", "fed"), ("fa", "guidance", "all")},
    "national-a": {("fa", "application", "up"), ("a1", "minutes", "gov")},
}


def leaks(principal: Principal, found: list[Sighting]) -> list[Sighting]:
    return [s for s in found if not may_see(principal, s.owner, s.visibility)]


def _report(principal: Principal, leaked: list[Sighting]) -> str:
    lines = sorted({f"  {s.url}  {s.marker} ({s.owner}, {s.visibility})" for s in leaked})
    return f"{principal.name} read {len(lines)} thing(s) it must not see:\n" + "\n".join(lines)


@pytest.mark.parametrize("principal", PRINCIPALS, ids=lambda p: p.name)
def test_no_principal_reads_a_marker_it_may_not_see(app, world, client, principal):
    found = crawl(app, client, world, principal)
    leaked = leaks(principal, found)
    assert not leaked, _report(principal, leaked)
    # The crawl reached what the principal works with: a crawl that reads nothing passes
    # the check above for nothing.
    read = {(s.owner, s.kind, s.visibility) for s in found}
    assert MUST_READ[principal.name] <= read, MUST_READ[principal.name] - read
