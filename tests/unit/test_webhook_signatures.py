"""Arc webhook signatures and Bayou's webhook token: computation and verification edge cases."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from connectors.core.redaction import redact
from connectors.webhooks import WebhookRejected, WebhookRequest
from connectors.webhooks.inbox import safe_event_id
from connectors.webhooks.signatures import (
    arc_signature,
    arc_signature_headers,
    arc_webhook_spec,
    verify_arc_signature,
)

KEY = "whsec_unit_test_key"
NOW = 1_767_225_600  # 2026-01-01T00:00:00Z
BODY = b'{"type":"test","created_at":"2026-01-01T00:00:00Z","data":{}}'


def headers(timestamp=NOW, body=BODY, key=KEY, *, legacy=False) -> dict[str, str]:
    return arc_signature_headers(key, body, timestamp, legacy=legacy)


def test_signature_is_hex_hmac_sha256_of_timestamp_dot_body():
    expected = hmac.new(KEY.encode(), f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert arc_signature(KEY, NOW, BODY) == expected
    assert arc_signature(KEY.encode(), str(NOW), BODY) == expected
    assert len(expected) == 64


def test_a_known_vector():
    # HMAC-SHA256(key="key", msg="1.{}"), computed independently
    assert arc_signature("key", 1, b"{}") == hmac.new(b"key", b"1.{}", hashlib.sha256).hexdigest()
    assert arc_signature("key", 1, b"{}") != arc_signature("key", 1, b"{} ")


def test_valid_signature_returns_the_timestamp():
    assert verify_arc_signature(headers(), BODY, KEY, now=NOW) == NOW


@pytest.mark.parametrize("legacy", [False, True])
def test_both_header_spellings_and_any_header_case(legacy):
    signed = headers(legacy=legacy)
    assert verify_arc_signature(signed, BODY, KEY, now=NOW) == NOW
    assert verify_arc_signature({k.upper(): v for k, v in signed.items()}, BODY, KEY, now=NOW) == NOW
    assert verify_arc_signature({k.lower(): v for k, v in signed.items()}, BODY, KEY, now=NOW) == NOW


def test_uppercase_hex_and_surrounding_whitespace_are_tolerated():
    signed = headers()
    signed["Arc-Webhook-Signature"] = f"  {signed['Arc-Webhook-Signature'].upper()} "
    signed["Arc-Webhook-Timestamp"] = f" {NOW} "
    assert verify_arc_signature(signed, BODY, KEY, now=NOW) == NOW


@pytest.mark.parametrize("skew", [-300, -1, 0, 1, 300])
def test_timestamps_within_300_seconds_either_way_are_accepted(skew):
    assert verify_arc_signature(headers(NOW + skew), BODY, KEY, now=NOW) == NOW + skew


@pytest.mark.parametrize("skew", [-301, 301, -86_400, 86_400])
def test_timestamps_beyond_300_seconds_either_way_are_rejected(skew):
    with pytest.raises(WebhookRejected) as raised:
        verify_arc_signature(headers(NOW + skew), BODY, KEY, now=NOW)
    assert raised.value.status == 401
    assert "tolerance" in raised.value.reason


def test_fractional_clock_at_the_boundary():
    assert verify_arc_signature(headers(NOW), BODY, KEY, now=NOW + 300.0)
    with pytest.raises(WebhookRejected):
        verify_arc_signature(headers(NOW), BODY, KEY, now=NOW + 300.001)


def test_tolerance_is_configurable():
    with pytest.raises(WebhookRejected):
        verify_arc_signature(headers(NOW - 61), BODY, KEY, now=NOW, tolerance_s=60)


@pytest.mark.parametrize("change", [
    pytest.param(lambda h, b: (h, b + b" "), id="body with a trailing space"),
    pytest.param(lambda h, b: (h, b.replace(b"test", b"tesT")), id="body altered"),
    pytest.param(lambda h, b: ({**h, "Arc-Webhook-Signature": arc_signature("other", NOW, b)}, b), id="other key"),
    pytest.param(lambda h, b: ({**h, "Arc-Webhook-Timestamp": str(NOW - 1)}, b), id="timestamp altered"),
    pytest.param(lambda h, b: ({**h, "Arc-Webhook-Signature": h["Arc-Webhook-Signature"][:-1]}, b), id="truncated"),
    pytest.param(lambda h, b: ({**h, "Arc-Webhook-Signature": ""}, b), id="empty"),
    pytest.param(lambda h, b: ({**h, "Arc-Webhook-Signature": "zz" * 32}, b), id="not hex"),
    pytest.param(lambda h, b: ({**h, "Arc-Webhook-Signature": "sig\u00e9"}, b), id="not ascii"),
    pytest.param(lambda h, b: ({**h, "Arc-Webhook-Signature": hashlib.sha256(f"{NOW}.".encode() + b).hexdigest()},
                               b), id="plain sha256, no key"),
])
def test_forged_signatures_are_rejected_401(change):
    signed, body = change(headers(), BODY)
    with pytest.raises(WebhookRejected) as raised:
        verify_arc_signature(signed, body, KEY, now=NOW)
    assert raised.value.status == 401


def test_the_signature_of_one_spelling_does_not_vouch_for_the_other_timestamp():
    signed = headers()
    mixed = {"Arc-Webhook-Signature": signed["Arc-Webhook-Signature"], "Arcadia-Webhook-Timestamp": str(NOW)}
    with pytest.raises(WebhookRejected) as raised:
        verify_arc_signature(mixed, BODY, KEY, now=NOW)
    assert raised.value.status == 401


@pytest.mark.parametrize(("drop", "status"), [
    (("Arc-Webhook-Signature",), 401),
    (("Arc-Webhook-Timestamp",), 401),
    (("Arc-Webhook-Signature", "Arc-Webhook-Timestamp"), 401),
])
def test_missing_headers_are_rejected(drop, status):
    signed = {k: v for k, v in headers().items() if k not in drop}
    with pytest.raises(WebhookRejected) as raised:
        verify_arc_signature(signed, BODY, KEY, now=NOW)
    assert raised.value.status == status


@pytest.mark.parametrize("timestamp", ["", "yesterday", "1.7e9", "-1767225600", "0x69", "1767225600.5",
                                       "١٧٦٧٢٢٥٦٠٠", "9" * 13])
def test_malformed_timestamps_are_rejected_400(timestamp):
    signed = headers()
    signed["Arc-Webhook-Timestamp"] = timestamp
    with pytest.raises(WebhookRejected) as raised:
        verify_arc_signature(signed, BODY, KEY, now=NOW)
    assert raised.value.status == 400


def _request(headers, body=BODY, env=None, now=NOW, path_params=None) -> WebhookRequest:
    return WebhookRequest(headers={k.lower(): v for k, v in headers.items()}, body=body,
                          path_params=path_params or {}, env=env if env is not None else {}, now=now)


def test_arc_spec_authenticates_with_the_key_from_env_and_registers_it():
    spec = arc_webhook_spec(lambda event, receipt: None)
    assert (spec.vendor, spec.path) == ("arcadia", "/webhooks/arcadia")
    key = "whsec_registered_with_the_redactor_1"
    spec.authenticate(_request(headers(key=key), env={"ARCADIA_WEBHOOK_SIGNING_KEY": key}))
    assert redact(f"key={key}") == "key=***"
    with pytest.raises(WebhookRejected) as raised:
        spec.authenticate(_request(headers(key=KEY), env={"ARCADIA_WEBHOOK_SIGNING_KEY": key}))
    assert raised.value.status == 401
    assert "arc-webhook-timestamp" in spec.stored_headers
    assert not any("signature" in h for h in spec.stored_headers)


@pytest.mark.parametrize("env", [{}, {"ARCADIA_WEBHOOK_SIGNING_KEY": ""}, {"ARCADIA_WEBHOOK_SIGNING_KEY": "  "}])
def test_arc_spec_without_a_key_is_503(env):
    spec = arc_webhook_spec(lambda event, receipt: None)
    with pytest.raises(WebhookRejected) as raised:
        spec.authenticate(_request(headers(), env=env))
    assert raised.value.status == 503
    assert "ARCADIA_WEBHOOK_SIGNING_KEY" in raised.value.reason


def test_arc_spec_dedupes_on_the_body():
    spec = arc_webhook_spec(lambda event, receipt: None)
    assert spec.event_id(BODY, None) == hashlib.sha256(BODY).hexdigest()


# -- Bayou: the token in the path -----------------------------------------------------------------


def test_bayou_token_authentication():
    from connectors.bayou.webhooks import authenticate

    token = "bayou-unit-token-4242"
    env = {"BAYOU_WEBHOOK_TOKEN": token}
    authenticate(_request({}, env=env, path_params={"token": token}))
    assert redact(token) == "***"
    for given in ("", "x", token + "x", token[:-1], token.upper(), f"{token}/"):
        with pytest.raises(WebhookRejected) as raised:
            authenticate(_request({}, env=env, path_params={"token": given}))
        assert raised.value.status == 401
        assert token not in raised.value.reason
    with pytest.raises(WebhookRejected) as raised:
        authenticate(_request({}, env={}, path_params={"token": token}))
    assert raised.value.status == 503


def test_event_ids_become_safe_file_names():
    assert safe_event_id("abc-123_x.y") == "abc-123_x.y"
    for unsafe in ("../x", "a/b", ".hidden", "", "a b", "x" * 200, "a:b", "trailing."):
        name = safe_event_id(unsafe)
        assert name.startswith("sha256-") and len(name) == 71
    assert safe_event_id("a/b") == safe_event_id("a/b") != safe_event_id("a/c")
