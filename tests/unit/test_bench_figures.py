"""The bench's own arithmetic: figures brought to the reference speed, the speed probe, and how two runs compare.

The bench is a script, not a test (``tests/benchmarks``); what it computes from its measurements is tested here,
without running a scenario.
"""

from __future__ import annotations

import os

import pytest

from tests.benchmarks import agreement, calibration

QUICK = calibration.QUICK_LOOP_MS


def test_a_time_measured_while_the_machine_ran_at_half_speed_counts_half_at_the_reference_speed():
    assert calibration.at_reference_speed([20.0, 10.0], [2 * QUICK, QUICK]) == [10.0, 10.0]


def test_a_rate_measured_while_the_machine_ran_at_half_speed_counts_double_at_the_reference_speed():
    assert calibration.at_reference_speed([150.0, 300.0], [2 * QUICK, QUICK], rate=True) == [300.0, 300.0]


def test_the_speed_probe_measures_every_cpu_and_leaves_the_thread_free_to_run_on_any():
    before = os.sched_getaffinity(0)
    speeds = calibration.probe_loop_ms_per_cpu(repeats=1)
    assert os.sched_getaffinity(0) == before
    assert len(speeds) == max(1, len(before))
    assert all(s > 0 for s in speeds)
    assert calibration.probe_loop_ms(repeats=1) > 0


def _run(p2_ms: float, p2_ref: float, p6: float, case_ms: float, case_ref: float) -> dict:
    ref = lambda median: {"at_quick_moments": {"at_reference_speed": {"median": median}}}
    return {
        "P2": {"figure": p2_ms, "detail": ref(p2_ref)},
        "P6": {"figure": p6, "detail": {}},
        "P9": {"figure": case_ms, "detail": {"pages": {
            "case": {"client_ms": {"median": case_ms}, **ref(case_ref)}, "catalog": "not found on the page"}}},
    }


def test_two_runs_compare_at_the_reference_speed_where_the_bench_gives_one():
    # P2 measured 30 % apart (the machine slower in the second run) but 5 % apart at the reference speed;
    # P6 has no reference figure and is 20 % apart as measured; the case page agrees both ways.
    table, over, over_ref = agreement.report(_run(10.0, 8.0, 300.0, 12.0, 7.0), _run(13.0, 8.4, 250.0, 12.5, 7.2))
    assert over == 2  # P2 and P6 as measured
    assert over_ref == 1  # P6 only
    lines = {line.split("|")[1].strip(): line for line in table.splitlines()[2:]}
    assert set(lines) == {"P2", "P6", "P9 case"}  # a page the run did not find is left out, not compared
    assert "30% *" in lines["P2"] and "5%" in lines["P2"] and "5% *" not in lines["P2"]
    assert "20% *" in lines["P6"]


@pytest.mark.parametrize(("a", "b", "expected"), [(10.0, 11.0, 0.1), (11.0, 10.0, 0.1), (None, 1.0, None),
                                                  (0.0, 1.0, None)])
def test_the_difference_is_a_share_of_the_smaller_figure(a, b, expected):
    assert agreement.difference(a, b) == (pytest.approx(expected) if expected is not None else None)


def test_the_load_generator_keeps_the_cookies_a_page_sets_as_a_browser_does():
    import email.parser
    import http.client

    from tests.benchmarks.client import LightClient

    light = LightClient("http://127.0.0.1:1", "portal_session=old; lang=sv")
    headers = email.parser.Parser(_class=http.client.HTTPMessage).parsestr(
        "Set-Cookie: portal_session=new.v-al_ue; HttpOnly; Path=/; SameSite=Lax\r\n"
        "Set-Cookie: lang=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/\r\n\r\n")
    light._take_cookies(headers)
    assert light.headers["Cookie"] == "portal_session=new.v-al_ue"
    light._take_cookies(email.parser.Parser(_class=http.client.HTTPMessage).parsestr("Server: x\r\n\r\n"))
    assert light.headers["Cookie"] == "portal_session=new.v-al_ue"
