"""federation-owned tables: row-level security by federation

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29 18:30:00

The tables whose rows belong to a federation rather than to a tenant are bound as tenant
tables are: ENABLE + FORCE ROW LEVEL SECURITY, a policy reading `app.federation_ids`, and
for the tables the federation's associations read, a SELECT-only policy through their own
association row (`app.tenant_ids`). The schema does not change.
"""

from alembic import op

from tenants import rls

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# Associations read these (never write them): `SharedWithAssociations` in the models.
SHARED_WITH_ASSOCIATIONS = [
    "guidance",
    "provincial_threshold",
    "reporting_period",
    "university_category",
]
# The federation's alone: `FederationOnly` in the models.
FEDERATION_ONLY = [
    "establishment_application",
    "federation_comment",
    "federation_exemplar_page",
    "federation_problem",
    "federation_rollup",
    "health_weight",
    "national_endpoint",
    "province_university",
    "push_outbox",
]


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in SHARED_WITH_ASSOCIATIONS:
        for statement in rls.federation_policy_sql(table, shared_with_associations=True):
            op.execute(statement)
    for table in FEDERATION_ONLY:
        for statement in rls.federation_policy_sql(table):
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in SHARED_WITH_ASSOCIATIONS + FEDERATION_ONLY:
        for statement in rls.drop_federation_policy_sql(table):
            op.execute(statement)
