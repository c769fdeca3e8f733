"""Governance (组织建设): bodies, officers, meetings, and the compliance engine's rules."""
