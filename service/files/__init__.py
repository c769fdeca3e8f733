"""Uploaded files (evidence, minutes, founding papers), checked on the way in, kept per tenant."""
