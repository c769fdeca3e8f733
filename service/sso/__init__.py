"""Signing in with the university's own identity service (统一身份认证), per tenant."""
