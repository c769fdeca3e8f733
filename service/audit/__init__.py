"""The append-only audit log: who, when, what, and the tenant, for every write."""
