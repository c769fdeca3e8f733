"""Masking of personal data for roles that do not need it (PIPL: minimum necessary)."""

from __future__ import annotations


def mask_phone(phone: str | None) -> str | None:
    """Keep the first three and last four digits: 13812345678 -> 138****5678."""
    if not phone:
        return phone
    if len(phone) <= 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_email(email: str | None) -> str | None:
    """Keep the first character and the domain: zhang@x.edu.cn -> z***@x.edu.cn."""
    if not email or "@" not in email:
        return email
    local, domain = email.split("@", 1)
    return f"{local[:1]}***@{domain}"


def mask_name(name: str | None) -> str | None:
    """Keep the surname: 张伟 -> 张*."""
    if not name:
        return name
    return name[:1] + "*" * (len(name) - 1)


def mask_staff_number(number: str | None) -> str | None:
    """Keep the last two characters: 20010123 -> ******23 (enough to tell two apart)."""
    if not number:
        return number
    return "*" * max(len(number) - 2, 1) + number[-2:] if len(number) > 2 else "*" * len(number)
