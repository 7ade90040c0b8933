"""The relying party's pure rules: whose number, which name, which level, what may go into a log-out URL."""

from __future__ import annotations

import base64
import json

import pytest

from portal.config import COORDINATION_CLAIM, LOA3, LOA4, PNR_CLAIM
from portal.oidc import OidcError, check_acr, holds_identity, identity_from, name_from

CLAIMS = (PNR_CLAIM, COORDINATION_CLAIM)


def _token(claims: dict) -> str:
    def part(doc):
        return base64.urlsafe_b64encode(json.dumps(doc).encode()).rstrip(b"=").decode()
    return f"{part({'alg': 'RS256'})}.{part(claims)}.c2lnbmF0dXJl"


def test_the_first_configured_claim_present_gives_the_identity():
    assert identity_from({PNR_CLAIM: "198504124564"}, CLAIMS).digits == "198504124564"
    assert identity_from({COORDINATION_CLAIM: "199106613343"}, CLAIMS).digits == "199106613343"
    assert identity_from({"nin": "199206202344", PNR_CLAIM: "198504124564"}, ("nin",)).digits == "199206202344"


@pytest.mark.parametrize("claims", [{}, {PNR_CLAIM: ""}, {"nin": "198504124564"}, {PNR_CLAIM: "198504124565"},
                                    {PNR_CLAIM: 198504124564}, {PNR_CLAIM: "not a number"}],
                         ids=["none", "empty", "other-claim", "bad-checksum", "not-a-string", "text"])
def test_no_usable_identity_is_refused_without_echoing_the_value(claims):
    with pytest.raises(OidcError) as info:
        identity_from(claims, CLAIMS)
    assert info.value.code == "identity"
    assert "19850412456" not in str(info.value)


def test_name_from_given_and_family_name_else_name():
    assert name_from({"given_name": "Karin", "family_name": "Ström", "name": "K. Ström"}) == "Karin Ström"
    assert name_from({"name": "Karin Ström"}) == "Karin Ström"
    assert name_from({"given_name": " Karin "}) == "Karin"
    assert name_from({"given_name": 5}) == ""


def test_only_an_accepted_level_of_assurance_passes():
    assert check_acr(LOA3, (LOA3, LOA4)) == LOA3
    assert check_acr(LOA4, (LOA3, LOA4)) == LOA4
    for acr in ("http://id.elegnamnden.se/loa/1.0/loa2", None, "", ["loa3"]):
        with pytest.raises(OidcError) as info:
            check_acr(acr, (LOA3, LOA4))
        assert info.value.code == "acr"


def test_an_id_token_with_an_identity_number_never_goes_into_a_url():
    assert not holds_identity(_token({"sub": "abc", "acr": LOA3}), CLAIMS)
    assert holds_identity(_token({"sub": "abc", PNR_CLAIM: "198504124564"}), CLAIMS)
    assert holds_identity(_token({"sub": "abc", "nin": "198504124564"}), ("nin",))
    assert holds_identity("not-a-token", CLAIMS)  # unreadable: assume the worst
