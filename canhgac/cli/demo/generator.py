"""The demo stream: benign city traffic with planted attack bursts, seeded and reproducible.

A :class:`DemoStream` is an endless, time-ordered sequence of :class:`Emission` s, each a raw
line due ``at_s`` seconds after the stream's start. The same seed and start give the same
lines, byte for byte. Benign lines arrive as a Poisson process at ``rate`` lines per second;
the attacks are planted in rounds: the first round within ``first_round_s`` seconds of the
start (so someone watching sees alerts within a minute), then again every
``attack_period_s`` seconds.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from canhgac.cli.demo.attacks import SCENARIOS, Scenario
from canhgac.cli.demo.benign import BENIGN, BenignKind
from canhgac.cli.demo.model import LogLine, PlantedAttack
from canhgac.timeutil import to_iso

FIRST_ROUND_S = 10.0
ATTACK_PERIOD_S = 180.0
# No burst lasts longer than this (a test holds every scenario to it), so a round fits in a
# run when it starts this long before the run ends.
MAX_BURST_S = 2.5


@dataclass(frozen=True, slots=True)
class Emission:
    """A line due ``at_s`` seconds after the start; ``planted`` marks a burst's first line."""

    at_s: float
    line: LogLine
    planted: PlantedAttack | None = None


class DemoStream:
    def __init__(
        self,
        seed: int,
        rate: float,
        start: datetime,
        *,
        first_round_s: float = FIRST_ROUND_S,
        attack_period_s: float = ATTACK_PERIOD_S,
        scenarios: Sequence[Scenario] = SCENARIOS,
        benign: Mapping[str, BenignKind] = BENIGN,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, not {rate}")
        if attack_period_s < first_round_s + MAX_BURST_S:
            raise ValueError("attack_period_s must leave room for a whole round of attacks")
        self.seed = seed
        self.rate = rate
        self.start = start
        self.first_round_s = first_round_s
        self.attack_period_s = attack_period_s
        self.scenarios = tuple(scenarios)
        self.benign = dict(benign)

    def attack_times(self) -> Iterator[tuple[float, Scenario]]:
        """When each burst starts: spread evenly over the first ``first_round_s`` of a round."""
        count = len(self.scenarios)
        for round_index in itertools.count():
            round_start = round_index * self.attack_period_s
            for index, scenario in enumerate(self.scenarios):
                yield round_start + self.first_round_s * (index + 1) / (count + 1), scenario

    def __iter__(self) -> Iterator[Emission]:
        # Separate generators: adding a scenario does not change the benign lines, and
        # the other way round.
        benign_rng = random.Random(f"{self.seed}:benign")
        attack_rng = random.Random(f"{self.seed}:attacks")
        kinds = list(self.benign.values())
        weights = [kind.weight for kind in kinds]
        attacks = self.attack_times() if self.scenarios else iter(())
        next_attack = next(attacks, None)
        next_benign = benign_rng.expovariate(self.rate)
        pending: list[tuple[float, int, Emission]] = []  # burst lines not yet due
        order = itertools.count()
        while True:
            first_pending = pending[0][0] if pending else float("inf")
            if next_attack is not None and next_attack[0] <= min(next_benign, first_pending):
                for emission in self._burst(attack_rng, *next_attack):
                    heapq.heappush(pending, (emission.at_s, next(order), emission))
                next_attack = next(attacks, None)
            elif first_pending <= next_benign:
                yield heapq.heappop(pending)[2]
            else:
                kind = benign_rng.choices(kinds, weights)[0]
                yield Emission(next_benign, kind.render(benign_rng, self._moment(next_benign)))
                next_benign += benign_rng.expovariate(self.rate)

    def _moment(self, at_s: float) -> datetime:
        return self.start + timedelta(seconds=at_s)

    def _burst(self, rng: random.Random, at_s: float, scenario: Scenario) -> list[Emission]:
        lines = sorted(scenario.build(rng, self._moment(at_s)), key=lambda item: item.delay_s)
        planted = PlantedAttack(
            key=scenario.key,
            title=scenario.title,
            rules=scenario.rules,
            also=scenario.also,
            planted_at=to_iso(self._moment(at_s + lines[0].delay_s)),
            lines=tuple(item.line for item in lines),
        )
        return [
            Emission(at_s + item.delay_s, item.line, planted if index == 0 else None)
            for index, item in enumerate(lines)
        ]
