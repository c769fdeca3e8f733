"""The navigation each role sees, built from the role table's permissions: a sidebar grouped
by domain (本会 / 会员 / 工作 / 统计 / 系统), as the admin layouts these users know have it,
with the current page marked and the breadcrumbs that follow from it."""

from __future__ import annotations

from dataclasses import dataclass

from flask import has_request_context, request, url_for

from service.auth.principal import Principal
from service.auth.roles import Level, Permission
from service.i18n import lazy_gettext as _l


@dataclass(frozen=True)
class NavItem:
    label: object
    endpoint: str
    permission: Permission | None = None
    levels: tuple[Level | str, ...] = (Level.PLATFORM, Level.FEDERATION, Level.ASSOCIATION)
    own_association: bool = False
    # The other pages this item stands for in the sidebar and the breadcrumbs: an entry
    # ending in "." is a blueprint's prefix, any other an endpoint. None: the item's blueprint.
    section: tuple[str, ...] | None = None

    def url(self, principal: Principal) -> str:
        if self.own_association:
            return url_for(self.endpoint, association_id=principal.association_id)
        return url_for(self.endpoint)

    def shown_to(self, principal: Principal) -> bool:
        return principal.level in self.levels and (
            self.permission is None or principal.can(self.permission)
        )

    def claims(self, endpoint: str) -> int:
        """How closely `endpoint` belongs to this item: 3 its page, 2 named in its section,
        1 under one of its section's prefixes, 0 not at all."""
        if endpoint == self.endpoint:
            return 3
        section = self.section
        if section is None:
            section = (self.endpoint.split(".")[0] + ".",)
        if endpoint in section:
            return 2
        return 1 if any(s.endswith(".") and endpoint.startswith(s) for s in section) else 0


@dataclass(frozen=True)
class NavGroup:
    """A heading of the sidebar and its items; `label` None is the ungrouped top (首页)."""

    label: object | None
    items: tuple[NavItem, ...]


@dataclass(frozen=True)
class NavLink:
    """One item as a role sees it. `current` is "page" on the item's own page, "section" on
    another page it stands for (an activity's own page under 活动)."""

    label: object
    url: str
    endpoint: str
    current: str | None = None


@dataclass(frozen=True)
class NavSection:
    label: object | None
    links: tuple[NavLink, ...]


@dataclass(frozen=True)
class Navigation:
    """The sidebar's sections (iterate over it) and the breadcrumbs that follow from it."""

    sections: tuple[NavSection, ...] = ()

    def __iter__(self):
        return iter(self.sections)

    def __bool__(self) -> bool:
        return bool(self.sections)

    @property
    def breadcrumbs(self) -> list[tuple[object, str | None]]:
        """(label, url) from the group down to the current item: "group › page" on a page of
        the navigation, "group › item" (the item a link) on another page it stands for."""
        for section in self.sections:
            for link in section.links:
                if link.current:
                    trail = [(section.label, None)] if section.label else []
                    url = link.url if link.current == "section" else None
                    return [*trail, (link.label, url)]
        return []

    @property
    def on_its_own_page(self) -> bool:
        return any(link.current == "page" for s in self.sections for link in s.links)


A, F, PL = Level.ASSOCIATION, Level.FEDERATION, Level.PLATFORM
P = Permission

NAV = (
    NavGroup(None, (NavItem(_l("Home"), "web.home", section=()),)),
    NavGroup(
        _l("Our organisation"),
        (
            NavItem(_l("Our association"), "associations.profile", P.VIEW_PROFILE, (A,), True),
            NavItem(_l("Governance"), "governance.overview", P.VIEW_GOVERNANCE, (A,), True),
            NavItem(_l("Associations"), "associations.index", P.VIEW_FEDERATION, (F,)),
            NavItem(
                _l("Establishment applications"),
                "establishment.index",
                P.REVIEW_ESTABLISHMENT,
                (F,),
            ),
            NavItem(
                _l("Governance rules"),
                "governance.rules",
                P.SET_THRESHOLDS,
                (F,),
                section=("governance.set_thresholds",),
            ),
            NavItem(
                _l("Federations"),
                "web.operator_home",
                P.PROVISION,
                (PL,),
                section=("web.new_federation", "web.federation"),
            ),
            NavItem(
                _l("Provision associations"),
                "establishment.provision",
                P.PROVISION,
                (PL,),
                section=("establishment.admin_link",),
            ),
        ),
    ),
    NavGroup(
        _l("Membership"),
        (
            NavItem(_l("Members"), "members.index", P.VIEW_MEMBERS, (A,)),
            NavItem(
                _l("Group members"),
                "members.groups",
                P.VIEW_MEMBERS,
                (A,),
                section=("members.group", "members.new_group"),
            ),
            NavItem(_l("My record"), "me.record_page", P.OWN_MEMBER_RECORD, (A,)),
            NavItem(
                _l("Suggestions"),
                "suggestions.inbox",
                P.VIEW_SUGGESTIONS,
                (A,),
                section=("suggestions.",),
            ),
            NavItem(
                _l("My suggestions"),
                "suggestions.mine",
                P.OWN_MEMBER_RECORD,
                (A,),
                section=("suggestions.new", "suggestions.receipt"),
            ),
            NavItem(
                _l("Escalated suggestions"),
                "suggestions.escalated",
                P.VIEW_ESCALATED_SUGGESTIONS,
                (F,),
                section=("suggestions.escalated_detail",),
            ),
        ),
    ),
    NavGroup(
        _l("Work"),
        (
            NavItem(_l("Activities"), "activities.index", P.VIEW_ACTIVITIES),
            NavItem(_l("Calendar"), "activities.calendar", P.VIEW_ACTIVITIES, section=()),
            NavItem(_l("Talent and exemplars"), "talent.exemplars", P.VIEW_ACTIVITIES),
            NavItem(_l("Guidance"), "guidance.index", P.VIEW_FEDERATION, (F,)),
            NavItem(_l("Guidance"), "inbox.inbox", P.VIEW_GUIDANCE, (A,)),
            NavItem(_l("Problems"), "problems.index", P.VIEW_FEDERATION, (F,)),
        ),
    ),
    NavGroup(
        _l("Statistics"),
        (
            NavItem(
                _l("Dashboard"),
                "federation.overview",
                P.VIEW_FEDERATION,
                (F,),
                section=("federation.", "governance.findings_list"),
            ),
            NavItem(_l("Activity figures"), "activities.figures", P.VIEW_ACTIVITIES, section=()),
            NavItem(_l("Annual reports"), "reporting.index", P.VIEW_REPORTS, (F, A)),
            NavItem(
                _l("Statistical forms"),
                "national_forms.headers",
                P.CONFIGURE_NATIONAL_FORMS,
                (PL,),
            ),
        ),
    ),
    NavGroup(
        _l("System"),
        (
            NavItem(
                _l("Users"),
                "auth.users",
                P.MANAGE_USERS,
                section=("auth.create_user", "auth.set_active", "auth.set_password"),
            ),
            NavItem(
                _l("API tokens"),
                "auth.tokens",
                P.MANAGE_TOKENS,
                section=("auth.create_token", "auth.revoke_token"),
            ),
            NavItem(_l("Audit log"), "audit.index", P.VIEW_AUDIT),
        ),
    ),
)


def navigation_for(principal: Principal, endpoint: str | None = None) -> Navigation:
    """The principal's sidebar: only the groups with an item the role may open, and the item
    that stands for the current page (the request's endpoint unless one is given) marked."""
    if not principal.is_authenticated:
        return Navigation()
    if endpoint is None and has_request_context():
        endpoint = request.endpoint
    shown = [(g, [i for i in g.items if i.shown_to(principal)]) for g in NAV]
    scores = {id(i): i.claims(endpoint) if endpoint else 0 for _, items in shown for i in items}
    best = max(scores.values(), default=0)
    # The first item with the best claim is the current one: a tie goes to the earlier item.
    chosen = next((key for key, score in scores.items() if best and score == best), None)
    sections = []
    for group, items in shown:
        links = tuple(
            NavLink(
                item.label,
                item.url(principal),
                item.endpoint,
                ("page" if best == 3 else "section") if id(item) == chosen else None,
            )
            for item in items
        )
        if links:
            sections.append(NavSection(group.label, links))
    return Navigation(tuple(sections))
