"""The one retry policy: exponential delays, capped, bounded in count, optionally jittered."""

from __future__ import annotations

import itertools
import math

import pytest

from canhgac.retry import RetryPolicy


def test_delays_double_from_the_initial_delay_up_to_the_cap() -> None:
    policy = RetryPolicy(initial=0.1, cap=1.0)
    assert [policy.delay(n) for n in range(7)] == [0.0, 0.1, 0.2, 0.4, 0.8, 1.0, 1.0]
    assert list(itertools.islice(policy.delays(), 5)) == [0.1, 0.2, 0.4, 0.8, 1.0]


def test_attempts_count_the_first_try_so_there_is_one_delay_fewer() -> None:
    assert list(RetryPolicy(initial=0.2, cap=5.0, attempts=6).delays()) == [
        0.2,
        0.4,
        0.8,
        1.6,
        3.2,
    ]
    assert list(RetryPolicy(initial=1.0, attempts=1).delays()) == []


def test_a_row_retried_for_weeks_waits_the_cap_not_an_overflow() -> None:
    assert RetryPolicy(initial=2.0, cap=300.0).delay(10_000) == 300.0
    assert RetryPolicy(initial=2.0).delay(10_000) == math.inf


def test_other_factors_and_jitter_stay_within_their_bounds() -> None:
    assert RetryPolicy(initial=1.0, factor=3.0).delay(3) == 9.0
    jittered = RetryPolicy(initial=4.0, cap=4.0, jitter=0.5)
    samples = [jittered.delay(5) for _ in range(200)]
    assert all(2.0 <= sample <= 4.0 for sample in samples)
    assert len(set(samples)) > 1  # random, so retrying clients spread out


@pytest.mark.parametrize(
    "bad",
    [
        {"initial": -1.0},
        {"initial": 1.0, "cap": -1.0},
        {"initial": 1.0, "factor": 0.5},
        {"initial": 1.0, "jitter": 1.5},
        {"initial": 1.0, "attempts": 0},
    ],
)
def test_nonsense_policies_are_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**bad)
