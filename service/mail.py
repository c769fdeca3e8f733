"""E-mail to one address through Flask-Mailman, where an SMTP relay is configured
(`MAIL_SERVER`, set from `SMTP_HOST`). Each kind of message has its body in a template under
`service/web/templates/mail/`, rendered in the language of the moment (the visitor's
choice; Chinese in jobs)."""

from __future__ import annotations

from flask import current_app
from flask_mailman import EmailMessage

from service.extensions import mailer


def mail_configured() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def send_template(address: str, template: str, subject: object, **context: object) -> bool:
    """Send the rendered `template` with `subject` to `address` when mail is configured.
    False where it is not or delivery failed: the caller says what happens instead."""
    if not mail_configured():
        return False
    # Straight from the environment, not render_template: the site's context processors
    # want a request and the database, which a mail needs neither of (jobs have neither).
    body = current_app.jinja_env.get_template(template).render(**context)
    # A header cannot hold a line break; a title typed with one must not stop the mail.
    message = EmailMessage(
        " ".join(str(subject).split()), body, to=[address], connection=mailer.get_connection()
    )
    try:
        return message.send() == 1
    except (OSError, ValueError) as error:  # the relay is down or refused; a bad address
        # The class only: a refusal's text names the recipient, who stays out of the log.
        current_app.logger.warning("an e-mail could not be sent (%s)", type(error).__name__)
        return False
