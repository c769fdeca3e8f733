"""Accounts, sign-in, roles and API tokens."""
