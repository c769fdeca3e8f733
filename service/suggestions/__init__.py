"""Suggestions, opinions and demands (建议、意见和诉求) of S&T workers: submitted by members and
staff, handled by the association, escalated to the federation when it must act.

Anonymity on request is kept by storing no link to the submitter at all: only the hash of a
random receipt code that the submitter keeps to read the answer."""
