from __future__ import annotations

import pytest
from itsdangerous import URLSafeTimedSerializer

from plugin.access.panel_tokens import (
    AppToken, AppTokenMismatch, AppTokenSigner, ExpiredAppToken, MalformedAppToken,
    TamperedAppToken, bearer_token,
)
from plugin.crm.salesforce.ids import InvalidSalesforceId

from sf_fakes import OPPORTUNITY_ID, ORG_ID, VIEWER_ID

SECRET = "app-secret-" + "x" * 32


@pytest.fixture
def signer(clock):
    return AppTokenSigner(SECRET, clock=clock)


def test_an_issued_token_verifies_to_its_claims(signer, clock):
    token = signer.issue("00D5e000001AcmE", VIEWER_ID, "0065e00000AbCdE")
    assert signer.verify(token, org_id=ORG_ID, record_id=OPPORTUNITY_ID) == AppToken(
        org_id=ORG_ID, user_id=VIEWER_ID, record_id=OPPORTUNITY_ID,
        issued_at=int(clock.now), expires_at=int(clock.now) + 600)


def unsigned_claims(token: str) -> dict:
    """What a token says, read without its key (itsdangerous' loads_unsafe)."""
    return URLSafeTimedSerializer("any key will do").loads_unsafe(token)[1]


def test_the_payload_is_ids_and_times_only(signer):
    claims = unsigned_claims(signer.issue(ORG_ID, VIEWER_ID, OPPORTUNITY_ID))
    assert set(claims) == {"org", "usr", "rec", "iat", "exp"}


def test_the_users_own_name_may_ride_along_trimmed_and_bounded(signer):
    """The payload is readable without the key: besides ids and times it carries only the
    viewer's own name (for "Prepared by"), never a secret or anything from the record."""
    token = signer.issue(ORG_ID, VIEWER_ID, OPPORTUNITY_ID, user_name="  Jordan \n Rivera ")
    assert set(unsigned_claims(token)) == {"org", "usr", "rec", "iat", "exp", "nam"}
    assert signer.verify(token).user_name == "Jordan Rivera"
    long_name = signer.issue(ORG_ID, VIEWER_ID, OPPORTUNITY_ID, user_name="n" * 500)
    assert signer.verify(long_name).user_name == "n" * 121
    assert signer.verify(signer.issue(ORG_ID, VIEWER_ID, None, user_name="   ")).user_name is None


def test_a_token_without_a_record_is_allowed(signer):
    assert signer.verify(signer.issue(ORG_ID, VIEWER_ID, None)).record_id is None


def test_an_expired_token_is_refused(signer, clock):
    token = signer.issue(ORG_ID, VIEWER_ID, OPPORTUNITY_ID, ttl=60)
    clock.advance(59)
    signer.verify(token)
    clock.advance(1)
    with pytest.raises(ExpiredAppToken) as caught:
        signer.verify(token)
    assert caught.value.http_status == 401


def test_a_tampered_payload_is_refused(signer):
    token = signer.issue(ORG_ID, VIEWER_ID, OPPORTUNITY_ID)
    claims = unsigned_claims(token)
    claims["exp"] += 86400
    forged_payload = URLSafeTimedSerializer("x").dumps(claims).rsplit(".", 2)[0]
    timestamp_and_signature = token.rsplit(".", 2)[1:]
    with pytest.raises(TamperedAppToken):
        signer.verify(".".join([forged_payload, *timestamp_and_signature]))


def test_a_token_signed_with_another_secret_is_refused(signer, clock):
    other = AppTokenSigner("another-secret-" + "y" * 32, clock=clock)
    with pytest.raises(TamperedAppToken):
        signer.verify(other.issue(ORG_ID, VIEWER_ID, OPPORTUNITY_ID))


def test_a_token_for_another_org_or_record_is_refused(signer):
    token = signer.issue(ORG_ID, VIEWER_ID, OPPORTUNITY_ID)
    with pytest.raises(AppTokenMismatch) as caught:
        signer.verify(token, org_id="00D5e000002OthR")
    assert caught.value.http_status == 403
    with pytest.raises(AppTokenMismatch):
        signer.verify(token, record_id="0065e00000ZzZzZ")
    with pytest.raises(AppTokenMismatch):
        signer.verify(token, record_id="not an id")
    with pytest.raises(AppTokenMismatch):
        signer.verify(signer.issue(ORG_ID, VIEWER_ID, None), record_id=OPPORTUNITY_ID)


@pytest.mark.parametrize("token", [
    None, "", "abc", "a.b", "a.b.c", "x" * 2000, "eyJ9." + "A" * 42 + "!", 42,
])
def test_things_that_are_not_tokens_are_malformed(signer, token):
    with pytest.raises(MalformedAppToken):
        signer.verify(token)


def test_a_signature_in_a_non_canonical_spelling_is_refused(signer):
    token = signer.issue(ORG_ID, VIEWER_ID, OPPORTUNITY_ID)
    last = token[-1]
    # The last Base64 character of a 32-byte digest carries 2 unused bits.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    twin = alphabet[alphabet.index(last) ^ 1]
    with pytest.raises(MalformedAppToken):
        signer.verify(token[:-1] + twin)


def test_the_secret_can_be_rotated(clock):
    old = AppTokenSigner("old-secret-" + "o" * 32, clock=clock)
    token = old.issue(ORG_ID, VIEWER_ID, OPPORTUNITY_ID)
    rotated = AppTokenSigner(["new-secret-" + "n" * 32, "old-secret-" + "o" * 32], clock=clock)
    assert rotated.verify(token).user_id == VIEWER_ID


def test_short_secrets_and_silly_ttls_are_refused(signer):
    with pytest.raises(ValueError):
        AppTokenSigner("short")
    for ttl in (0, -5, 86400, 1.5, True):
        with pytest.raises(ValueError):
            signer.issue(ORG_ID, VIEWER_ID, OPPORTUNITY_ID, ttl=ttl)
    with pytest.raises(InvalidSalesforceId):
        signer.issue(ORG_ID, "not-a-user", OPPORTUNITY_ID)


def test_a_token_from_the_future_is_refused(signer, clock):
    future = AppTokenSigner(SECRET, clock=lambda: clock.now + 3600)
    with pytest.raises(MalformedAppToken):
        signer.verify(future.issue(ORG_ID, VIEWER_ID, OPPORTUNITY_ID))


@pytest.mark.parametrize("header,expected", [
    ("Bearer abc.def", "abc.def"), ("bearer   abc.def ", "abc.def"), ("Basic abc", None),
    ("Bearer", None), ("", None), (None, None),
])
def test_the_bearer_token_is_read_from_the_authorization_header(header, expected):
    assert bearer_token(header) == expected
