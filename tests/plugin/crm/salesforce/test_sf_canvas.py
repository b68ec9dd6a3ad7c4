"""Signed requests are signed by the tests themselves, the way Salesforce signs them."""
from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json

import pytest

from plugin.crm.salesforce.signed_request import (
    MAX_SIGNED_REQUEST_BYTES, BadSignature, CanvasRequest, InvalidCanvasContext,
    MalformedSignedRequest, SignedRequestTooLarge, UnknownOrg, UnsupportedAlgorithm,
    verify_signed_request,
)

from sf_fakes import CANVAS_SECRET, OPPORTUNITY_ID, ORG_ID, VIEWER_ID, sign_canvas


def secrets(org_id: str) -> str | None:
    return {ORG_ID: CANVAS_SECRET}.get(org_id)


def verify(signed: str) -> CanvasRequest:
    return verify_signed_request(signed, secrets)


def test_a_valid_request_yields_who_is_looking_at_which_record(canvas_payload):
    request = verify(sign_canvas(canvas_payload))
    assert request == CanvasRequest(
        org_id=ORG_ID, user_id=VIEWER_ID, user_name="rep@acme.example", full_name="Robin Rep",
        profile_id="00e5e000000Pr0fAAC", instance_url="https://acme.my.salesforce.com",
        oauth_token="00D5e000001AcmE!AQ0AQViewingUsersOwnToken", record_id=OPPORTUNITY_ID,
        display_location="PageLayout", user_type="STANDARD")
    assert "ViewingUsersOwnToken" not in repr(request)


def test_a_wrong_secret_is_a_bad_signature(canvas_payload):
    with pytest.raises(BadSignature) as caught:
        verify(sign_canvas(canvas_payload, "another-apps-secret"))
    assert caught.value.http_status == 401


def test_a_tampered_payload_is_a_bad_signature(canvas_payload):
    signature, _ = sign_canvas(canvas_payload).split(".", 1)
    forged = dict(canvas_payload, userId="0055e000009EviL")
    forged_payload = base64.b64encode(json.dumps(forged).encode()).decode()
    with pytest.raises(BadSignature):
        verify(f"{signature}.{forged_payload}")


def test_an_unconfigured_org_is_refused(canvas_payload):
    payload = copy.deepcopy(canvas_payload)
    payload["context"]["organization"]["organizationId"] = "00D5e000002OthR"
    with pytest.raises(UnknownOrg) as caught:
        verify(sign_canvas(payload))
    assert caught.value.http_status == 401


def test_the_org_id_is_normalised_before_the_secret_is_looked_up(canvas_payload):
    asked = []
    payload = copy.deepcopy(canvas_payload)
    payload["context"]["organization"]["organizationId"] = "00D5e000001AcmE"
    verify_signed_request(sign_canvas(payload), lambda org: asked.append(org) or CANVAS_SECRET)
    assert asked == [ORG_ID]


@pytest.mark.parametrize("signed", [
    "", "no-dot-at-all", ".payloadonly", "signatureonly.", "!!!.eyJ9", "abc.!!!", "a.b.c",
    "YWJj.eyJ", "YWJj.e", "YWJj.=eyJ9",
])
def test_malformed_requests_are_refused_with_400(signed):
    with pytest.raises(MalformedSignedRequest) as caught:
        verify(signed)
    assert caught.value.http_status == 400


def test_a_non_text_request_is_malformed():
    with pytest.raises(MalformedSignedRequest):
        verify_signed_request(None, secrets)  # type: ignore[arg-type]


def test_an_oversized_request_is_refused_before_decoding():
    with pytest.raises(SignedRequestTooLarge) as caught:
        verify("A" * 10 + "." + "A" * MAX_SIGNED_REQUEST_BYTES)
    assert caught.value.http_status == 413


def test_the_url_safe_alphabet_is_accepted(canvas_payload):
    canvas_payload["context"]["user"]["fullName"] = "Zoë ÿÿÿ>>>???"  # forces '-' and '_' in Base64
    signed = sign_canvas(canvas_payload, urlsafe=True)
    assert "-" in signed or "_" in signed
    assert verify(signed).full_name == "Zoë ÿÿÿ>>>???"


def test_padding_is_optional(canvas_payload):
    canvas_payload["context"]["user"]["fullName"] = "Robin Rep Jr"  # a length that needs padding
    signed = sign_canvas(canvas_payload, padding=False)
    assert "=" not in signed
    assert verify(signed).full_name == "Robin Rep Jr"


def test_a_missing_record_means_no_opportunity(canvas_payload):
    canvas_payload["context"]["environment"]["record"] = {}
    assert verify(sign_canvas(canvas_payload)).record_id is None


def test_the_record_id_falls_back_to_the_aura_wrapper_parameter(canvas_payload):
    canvas_payload["context"]["environment"]["record"] = {}
    canvas_payload["context"]["environment"]["parameters"] = {"recordId": "0065e00000AbCdE"}
    canvas_payload["context"]["environment"]["displayLocation"] = "Aura"
    request = verify(sign_canvas(canvas_payload))
    assert (request.record_id, request.display_location) == (OPPORTUNITY_ID, "Aura")


def test_a_record_of_another_object_is_no_opportunity(canvas_payload):
    canvas_payload["context"]["environment"]["record"] = {"Id": "0015e00000XyZaB"}
    assert verify(sign_canvas(canvas_payload)).record_id is None


def test_a_wrong_algorithm_is_refused(canvas_payload):
    with pytest.raises(UnsupportedAlgorithm):
        verify(sign_canvas(dict(canvas_payload, algorithm="HMACSHA1")))
    missing = {k: v for k, v in canvas_payload.items() if k != "algorithm"}
    with pytest.raises(UnsupportedAlgorithm):
        verify(sign_canvas(missing))


def test_duplicate_json_keys_are_refused_even_when_signed():
    text = '{"algorithm": "HMACSHA256", "algorithm": "none", "context": {}}'
    with pytest.raises(MalformedSignedRequest):
        verify(sign_canvas(text))


@pytest.mark.parametrize("text", [
    '{"algorithm": "HMACSHA256", "issuedAt": NaN}', '{"algorithm": "HMACSHA256", "n": Infinity}',
    '["HMACSHA256"]', '"HMACSHA256"', "null", "[" * 5000 + "]" * 5000, '{"a": 1} trailing',
])
def test_only_strict_json_objects_are_accepted(text):
    with pytest.raises(MalformedSignedRequest):
        verify(sign_canvas(text))


def test_payload_bytes_that_are_not_utf8_are_malformed():
    with pytest.raises(MalformedSignedRequest):
        verify(sign_canvas(b"\xff\xfe{}"))


def test_the_signature_covers_the_payload_exactly_as_received(canvas_payload):
    """Re-encoding the payload (e.g. adding padding) would change the signed text."""
    canvas_payload["context"]["user"]["fullName"] = "Robin Rep Jr"  # a length that needs padding
    signature, payload = sign_canvas(canvas_payload, padding=False).split(".", 1)
    assert len(payload) % 4
    assert verify(f"{signature}.{payload}").user_id == VIEWER_ID
    with pytest.raises(BadSignature):
        verify(f"{signature}.{payload}{'=' * (-len(payload) % 4)}")


@pytest.mark.parametrize("path,value", [
    (("client", "instanceUrl"), "http://acme.my.salesforce.com"),
    (("client", "instanceUrl"), None),
    (("client", "oauthToken"), None),
    (("context", "user", "userId"), "not-an-id"),
    (("context", "user", "userName"), 42),
    (("context", "user", "profileId"), "0065e00000AbCdE"),
])
def test_signed_but_unusable_context_is_refused(canvas_payload, path, value):
    target = canvas_payload
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    with pytest.raises(InvalidCanvasContext) as caught:
        verify(sign_canvas(canvas_payload))
    assert caught.value.http_status == 400


def test_the_digest_comparison_uses_raw_bytes(canvas_payload):
    """A signature of the right digest in the other alphabet still verifies."""
    payload_text = base64.b64encode(json.dumps(canvas_payload).encode()).decode()
    digest = hmac.new(CANVAS_SECRET.encode(), payload_text.encode(), hashlib.sha256).digest()
    urlsafe_signature = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    assert verify(f"{urlsafe_signature}.{payload_text}").org_id == ORG_ID
