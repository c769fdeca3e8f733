"""Formats shared by web forms and API schemas, so both accept exactly the same input."""

# A mainland mobile number, or a landline with its area code (010-12345678).
PHONE_PATTERN = r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$"
