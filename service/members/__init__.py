"""Membership: individual members (个人会员), group members (团体会员), eligibility from the
document, bulk import and export, and members' own access to their record (PIPL)."""
