"""ballholder: who has the ball, derived from the two flags."""

from __future__ import annotations

import pytest
from builders import event_json

from portal.standard.ballholder import BallHolder, ball_holder
from portal.standard.models import Event


@pytest.mark.parametrize(
    "klart,kraver,expected",
    [
        (False, False, BallHolder.PRODUCER),
        (False, True, BallHolder.CUSTOMER),
        (True, False, BallHolder.CLOSED),
        (True, True, BallHolder.CLOSED),  # a finished case asks nothing more of the customer
    ],
)
def test_all_four_combinations(klart, kraver, expected):
    assert ball_holder(klart, kraver) is expected
    event = Event.from_json(event_json(producentarendetKlart=klart, producentarendetKraverKundatgard=kraver))
    assert event.ball_holder is expected


def test_values_are_stable_strings():
    assert [b.value for b in BallHolder] == ["closed", "customer", "producer"]
    assert BallHolder.CUSTOMER == "customer"
