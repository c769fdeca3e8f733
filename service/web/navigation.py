"""The navigation each role sees, built from the role table's permissions."""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from flask_babel import lazy_gettext as _l

from service.auth.principal import Principal
from service.auth.roles import Level, Permission


@dataclass(frozen=True)
class NavItem:
    label: object
    endpoint: str
    permission: Permission | None = None
    levels: tuple[Level | str, ...] = (Level.PLATFORM, Level.FEDERATION, Level.ASSOCIATION)
    own_association: bool = False

    def url(self, principal: Principal) -> str:
        if self.own_association:
            return url_for(self.endpoint, association_id=principal.association_id)
        return url_for(self.endpoint)


NAV = (
    NavItem(_l("Home"), "web.home"),
    NavItem(
        _l("Our association"),
        "associations.profile",
        Permission.VIEW_PROFILE,
        (Level.ASSOCIATION,),
        own_association=True,
    ),
    NavItem(_l("Members"), "members.index", Permission.VIEW_MEMBERS, (Level.ASSOCIATION,)),
    NavItem(_l("Group members"), "members.groups", Permission.VIEW_MEMBERS, (Level.ASSOCIATION,)),
    NavItem(_l("My record"), "me.record_page", Permission.OWN_MEMBER_RECORD, (Level.ASSOCIATION,)),
    NavItem(
        _l("Governance"),
        "governance.overview",
        Permission.VIEW_GOVERNANCE,
        (Level.ASSOCIATION,),
        own_association=True,
    ),
    NavItem(_l("Activities"), "activities.index", Permission.VIEW_ACTIVITIES),
    NavItem(_l("Calendar"), "activities.calendar", Permission.VIEW_ACTIVITIES),
    NavItem(_l("Figures"), "activities.figures", Permission.VIEW_ACTIVITIES),
    NavItem(_l("Talent and exemplars"), "talent.exemplars", Permission.VIEW_ACTIVITIES),
    NavItem(
        _l("Suggestions"), "suggestions.inbox", Permission.VIEW_SUGGESTIONS, (Level.ASSOCIATION,)
    ),
    NavItem(
        _l("My suggestions"),
        "suggestions.mine",
        Permission.OWN_MEMBER_RECORD,
        (Level.ASSOCIATION,),
    ),
    NavItem(
        _l("Escalated suggestions"),
        "suggestions.escalated",
        Permission.VIEW_ESCALATED_SUGGESTIONS,
        (Level.FEDERATION,),
    ),
    NavItem(
        _l("Dashboard"), "federation.overview", Permission.VIEW_FEDERATION, (Level.FEDERATION,)
    ),
    NavItem(_l("Guidance"), "guidance.index", Permission.VIEW_FEDERATION, (Level.FEDERATION,)),
    NavItem(_l("Problems"), "problems.index", Permission.VIEW_FEDERATION, (Level.FEDERATION,)),
    NavItem(
        _l("Associations"),
        "associations.index",
        Permission.VIEW_FEDERATION,
        (Level.FEDERATION,),
    ),
    NavItem(
        _l("Governance rules"),
        "governance.rules",
        Permission.SET_THRESHOLDS,
        (Level.FEDERATION,),
    ),
    NavItem(
        _l("Establishment applications"),
        "establishment.index",
        Permission.REVIEW_ESTABLISHMENT,
        (Level.FEDERATION,),
    ),
    NavItem(
        _l("Annual reports"),
        "reporting.index",
        Permission.VIEW_REPORTS,
        (Level.FEDERATION, Level.ASSOCIATION),
    ),
    NavItem(_l("Federations"), "web.operator_home", Permission.PROVISION, (Level.PLATFORM,)),
    NavItem(
        _l("Provision associations"),
        "establishment.provision",
        Permission.PROVISION,
        (Level.PLATFORM,),
    ),
    NavItem(
        _l("Statistical forms"),
        "national_forms.headers",
        Permission.CONFIGURE_NATIONAL_FORMS,
        (Level.PLATFORM,),
    ),
    NavItem(_l("Users"), "auth.users", Permission.MANAGE_USERS),
    NavItem(_l("API tokens"), "auth.tokens", Permission.MANAGE_TOKENS),
    NavItem(_l("Audit log"), "audit.index", Permission.VIEW_AUDIT),
)


def navigation_for(principal: Principal) -> list[tuple[object, str]]:
    if not principal.is_authenticated:
        return []
    return [
        (item.label, item.url(principal))
        for item in NAV
        if principal.level in item.levels
        and (item.permission is None or principal.can(item.permission))
    ]
