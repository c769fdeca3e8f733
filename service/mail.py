"""E-mail to one address through Flask-Mailman, where an SMTP relay is configured
(`MAIL_SERVER`, set from `SMTP_HOST`). Each kind of message has its body in a template under
`service/web/templates/mail/`, rendered in the language of the moment (the visitor's
choice; Chinese in jobs)."""

from __future__ import annotations

import functools

from flask import current_app
from flask_mailman import EmailMessage

from service.extensions import mailer
from service.unit_of_work import after_commit


def mail_configured() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def send_template(address: str, template: str, subject: object, **context: object) -> bool:
    """Send the rendered `template` with `subject` to `address` when mail is configured,
    once the caller's transaction commits (`after_commit`): a request or job that fails
    after preparing a mail sends nothing, so no one is welcomed to an account, reminded by
    a reminder or sent a link that was never kept. The relay is tried now, while the
    caller can still say what happens instead: True when the mail waits for the commit;
    False where mail is not configured or the relay cannot be reached. A relay lost
    between the two is logged, as any failed delivery."""
    if not mail_configured():
        return False
    # Straight from the environment, not render_template: the site's context processors
    # want a request and the database, which a mail needs neither of (jobs have neither).
    # Rendered now, in the language of the moment.
    body = current_app.jinja_env.get_template(template).render(**context)
    # A header cannot hold a line break; a title typed with one must not stop the mail.
    connection = mailer.get_connection()
    message = EmailMessage(
        " ".join(str(subject).split()), body, to=[address], connection=connection
    )
    try:  # reachable now, so the caller's fallback shows at once when it is not
        connection.open()
    except (OSError, ValueError) as error:  # the relay is down or refused
        _not_sent(error)
        return False
    finally:
        connection.close()  # not held open while the request goes on
    after_commit(functools.partial(_deliver, message))
    return True


def _deliver(message: EmailMessage) -> None:
    try:
        message.send()
    except (OSError, ValueError) as error:  # the relay went away since; a bad address
        _not_sent(error)


def _not_sent(error: Exception) -> None:
    # The class only: a refusal's text names the recipient, who stays out of the log.
    current_app.logger.warning("an e-mail could not be sent (%s)", type(error).__name__)
