"""E-mail to one address, where an SMTP relay is configured (`SMTP_HOST`)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from flask import current_app


def mail_configured() -> bool:
    return bool(current_app.config.get("SMTP_HOST"))


def send_mail(address: str, subject: str, body: str) -> bool:
    """Send by SMTP when it is configured; False otherwise or on failure (the caller says
    what happens instead)."""
    if not mail_configured():
        return False
    host = current_app.config["SMTP_HOST"]
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = address
    message["Subject"] = subject
    message.set_content(body)
    try:
        with smtplib.SMTP(host, current_app.config["SMTP_PORT"], timeout=10) as smtp:
            smtp.send_message(message)
    except OSError:
        current_app.logger.warning("an e-mail to an account holder failed")
        return False
    return True
