"""Who has the ball: derived, because the standard has no status field."""

from __future__ import annotations

import enum


class BallHolder(str, enum.Enum):
    """The state of a producer's case as the customer sees it."""

    CLOSED = "closed"  # producentarendetKlart
    CUSTOMER = "customer"  # producentarendetKraverKundatgard: your turn
    PRODUCER = "producer"  # the agency is handling it


def ball_holder(klart: bool, kraver_kundatgard: bool) -> BallHolder:
    """Closed if the case is finished, else the customer if they must act, else the producer."""
    if klart:
        return BallHolder.CLOSED
    if kraver_kundatgard:
        return BallHolder.CUSTOMER
    return BallHolder.PRODUCER
