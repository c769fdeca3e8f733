"""Factories, one module a domain; each that makes tenant data takes its tenant: there is no
default tenant. The names tests reach as `factories.X` are re-exported here; the rest (the
world's parts) are imported from their own module."""

from tests.factories.activities import make_activity, make_evidence
from tests.factories.auth import PASSWORD, make_token, make_user, set_password_token
from tests.factories.files import PDF_BYTES, PNG_BYTES, make_stored_file
from tests.factories.governance import GOVERNANCE_TODAY, application_data, tracking_key
from tests.factories.members import make_group_member, make_member
from tests.factories.suggestions import make_suggestion
from tests.factories.tenants import make_association, make_federation
from tests.factories.world import Province, Tenant, World, make_world

__all__ = [
    "GOVERNANCE_TODAY",
    "PASSWORD",
    "PDF_BYTES",
    "PNG_BYTES",
    "Province",
    "Tenant",
    "World",
    "application_data",
    "make_activity",
    "make_association",
    "make_evidence",
    "make_federation",
    "make_group_member",
    "make_member",
    "make_stored_file",
    "make_suggestion",
    "make_token",
    "make_user",
    "make_world",
    "set_password_token",
    "tracking_key",
]
