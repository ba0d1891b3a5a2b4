"""Secrets never survive redaction: headers, JSON fields, form bodies, Basic credentials."""

import base64

from conformance.target import redaction


def test_credential_headers_are_replaced_whatever_their_case():
    headers = {"authorization": "Basic abc", "X-Yubikey-Otp": "cccc", "Accept": "application/json"}
    assert redaction.redact_headers(headers) == {
        "authorization": redaction.REDACTED,
        "X-Yubikey-Otp": redaction.REDACTED,
        "Accept": "application/json",
    }


def test_secret_fields_are_replaced_at_any_depth():
    body = '{"reimage": {"root_password": "hunter2", "distribution": "stretch"}, "password": "x"}'
    text = redaction.redact_body(body, [])
    assert "hunter2" not in text and '"x"' not in text and "stretch" in text


def test_form_bodies_and_known_secrets_anywhere():
    text = redaction.redact_body("username=alice&password=s3cret&yubikey=cccccc", ["alice-token"])
    assert "s3cret" not in text and "cccccc" not in text
    assert (
        redaction.redact_text("token alice-token here", ["alice-token"])
        == f"token {redaction.REDACTED} here"
    )


def test_basic_credentials_are_secrets_in_their_base64_form_too():
    variants = redaction.secret_variants(["pw123"], "alice")
    encoded = base64.b64encode(b"alice:pw123").decode()
    assert encoded in variants and "pw123" in variants


def test_messages_lose_credentials_in_every_form():
    message = (
        "curl -H 'Authorization: Basic YWxpY2U6c2VjcmV0' -H \"X-Yubikey-Otp: cccc\" "
        '-d \'{"root_password": "hunter2"}\' headers {"Authorization": "Bearer apikey.k1"} pw9'
    )
    text = redaction.redact_message(message, ["pw9"])
    for secret in ("YWxpY2U6c2VjcmV0", "cccc", "hunter2", "apikey.k1", "pw9"):
        assert secret not in text
    assert "Basic [REDACTED]" in text and "Bearer [REDACTED]" in text
