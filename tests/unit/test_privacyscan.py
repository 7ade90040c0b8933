"""The privacy scan finds identity numbers in every written form, and not the digits of a UUID."""

import privacyscan


def test_finds_personnummer_in_every_form():
    text = 'login 198504124564, "850412-4564" and 19850412-4564; samordningsnummer 199106613343'
    assert privacyscan.person_numbers(text) == {"198504124564", "850412-4564", "19850412-4564", "199106613343"}


def test_ignores_organisation_numbers_uuids_and_wrong_checksums():
    text = ("org 165590001235 and 5590001235; correlation_id=0d1f2c3e-5197-4071-9234-519707123456; "
            "request 09031234-5678-4abc; bad checksum 198504124565")
    assert privacyscan.person_numbers(text) == set()
