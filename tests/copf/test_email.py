"""One message rendered with blanks, filled in per recipient: as text and on the wire."""

import email
import email.policy

import pytest

from copf.lib.email import EmailParts, WireTemplate, blank, compose_email, fill_parts

HEADERS = {"List-Unsubscribe": f"<{blank('unsubscribe')}>", "Auto-Submitted": "auto-generated"}
ZOE = {
    "name": 'Zoë <b>"&" Łukasz</b>',
    "link": "https://copf.example.org/r/abc:def/?a=1&b=2",
    "unsubscribe": "https://copf.example.org/u/xyz/",
}


def shared(*, html_line: str = "") -> EmailParts:
    return EmailParts(
        subject="Reminder: starts in 1 hour — CoP-F East, 19:30 IST (14:00 UTC)",
        text=f"Hello {blank('name')},\n\nYes:\n{blank('link')}\n",
        html=(
            f'<p>Hello {blank("name")},</p>\n<a href="{blank("link")}">Yes</a>\n'
            f"<p>{html_line}</p>\n"
        ),
    )


def composed(parts: EmailParts, values: dict[str, str]) -> email.message.EmailMessage:
    """What Django itself makes of the filled-in message, read back."""
    message = compose_email(
        fill_parts(parts, values),
        to="zoe@example.org",
        headers={
            "List-Unsubscribe": f"<{values['unsubscribe']}>",
            "Auto-Submitted": "auto-generated",
            "Message-ID": "<1@copf.example.org>",
        },
    )
    return read(message.message().as_bytes(linesep="\r\n"))


def read(data: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(data, policy=email.policy.default)


def bodies(message: email.message.EmailMessage) -> list[tuple[str, str, str]]:
    return [
        (
            part.get_content_type(),
            part["Content-Transfer-Encoding"],
            part.get_content().splitlines(),
        )
        for part in message.iter_parts()
    ]


def test_filling_in_puts_the_value_as_it_is_in_the_text_and_escaped_in_the_html():
    filled = fill_parts(shared(), ZOE)

    assert filled.text.splitlines()[0] == 'Hello Zoë <b>"&" Łukasz</b>,'
    assert filled.html.splitlines() == [
        "<p>Hello Zoë &lt;b&gt;&quot;&amp;&quot; Łukasz&lt;/b&gt;,</p>",
        '<a href="https://copf.example.org/r/abc:def/?a=1&amp;b=2">Yes</a>',
        "<p></p>",
    ]


def test_the_filled_in_wire_bytes_read_as_what_django_composes_for_that_recipient():
    template = WireTemplate.of(shared(), headers=HEADERS)

    wire = read(template.fill(ZOE, to="zoe@example.org", message_id="<1@copf.example.org>"))
    django = composed(shared(), ZOE)

    for header in ["Subject", "From", "To", "Message-ID", "List-Unsubscribe", "Auto-Submitted"]:
        assert (header, wire[header]) == (header, django[header])
    assert [(kind, content) for kind, _, content in bodies(wire)] == [
        (kind, content) for kind, _, content in bodies(django)
    ]
    assert [encoding for _, encoding, _ in bodies(wire)] == ["8bit", "8bit"]
    assert wire["Date"] is not None


def test_a_part_that_was_ascii_with_blanks_is_declared_8bit_for_a_name_that_is_not():
    ascii_only = EmailParts(subject="Hi", text=f"Hello {blank('name')}\n", html="<p>Hi</p>\n")
    template = WireTemplate.of(ascii_only, headers={})

    wire = read(template.fill({"name": "Zoë"}, to="zoe@example.org", message_id="<1@x>"))

    assert bodies(wire)[0] == ("text/plain", "8bit", ["Hello Zoë"])


def test_a_message_with_a_line_too_long_to_send_unencoded_has_no_wire_template():
    # Django sends it quoted-printable, where the blanks would not stand as they are.
    assert WireTemplate.of(shared(html_line="x" * 1000), headers=HEADERS) is None


def test_values_that_would_make_a_line_too_long_are_left_to_django():
    template = WireTemplate.of(shared(html_line="x" * 900 + blank("name")), headers=HEADERS)

    long_name = {**ZOE, "name": "Zoë " * 30}

    assert template.fill(long_name, to="zoe@example.org", message_id="<1@x>") is None


@pytest.mark.parametrize(
    ("to", "message_id"),
    [("zoë@example.org", "<1@x>"), ("zoe@example.org", "<1@x>\r\nBcc: eve@example.org")],
)
def test_a_header_value_that_is_not_plain_printable_ascii_is_left_to_django(to, message_id):
    template = WireTemplate.of(shared(), headers=HEADERS)

    assert template.fill(ZOE, to=to, message_id=message_id) is None


def test_a_value_with_a_line_break_is_left_to_django():
    template = WireTemplate.of(shared(), headers=HEADERS)

    broken = {**ZOE, "unsubscribe": "https://copf.example.org/u/\r\nBcc: eve@example.org"}

    assert template.fill(broken, to="zoe@example.org", message_id="<1@x>") is None


def test_a_blank_is_named_in_lower_case_letters():
    with pytest.raises(ValueError, match="lower-case"):
        blank("Name1")
