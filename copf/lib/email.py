"""One helper renders every e-mail from a template triplet.

`templates/emails/<name>-subject.txt`, `<name>-body.txt` and `<name>-body.html`, rendered
with the same context; the subject is one line.
"""

from collections.abc import Mapping

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def render_email(
    name: str,
    context: Mapping[str, object],
    *,
    to: str,
    headers: Mapping[str, str] | None = None,
) -> EmailMultiAlternatives:
    subject = " ".join(render_to_string(f"emails/{name}-subject.txt", context).split())
    text = render_to_string(f"emails/{name}-body.txt", context)
    html = render_to_string(f"emails/{name}-body.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers=dict(headers or {}),
    )
    message.attach_alternative(html, "text/html")
    return message
