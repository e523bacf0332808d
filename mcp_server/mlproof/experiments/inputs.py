"""Check and normalise what the caller gave `ab_test`; every refusal is one plain sentence.

Arms come in as mappings: {"conversions": x, "users": n} for a conversion
metric, {"mean": m, "sd": s, "n": n} for a continuous one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Integral, Real

from mlproof.errors import MlproofError

CONVERSION_KEYS = {"conversions", "users"}
CONTINUOUS_KEYS = {"mean", "sd", "n"}


def shown(value: object, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def number(value: object, what: str) -> float:
    """A finite real number (booleans and NaN refused)."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise MlproofError(f"{what} must be a number, got {shown(value)}.")
    value = float(value)
    if math.isnan(value) or math.isinf(value):
        raise MlproofError(f"{what} must be a finite number, not {value}.")
    return value


def whole(value: object, what: str, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, (Integral, Real)):
        raise MlproofError(f"{what} must be a whole number, got {shown(value)}.")
    if isinstance(value, Real) and not isinstance(value, Integral):
        if math.isnan(value) or not float(value).is_integer():
            raise MlproofError(f"{what} must be a whole number, got {shown(value)}.")
    value = int(value)
    if value < minimum:
        raise MlproofError(f"{what} must be at least {minimum}, got {value}.")
    return value


def probability(value: object, what: str, *, low: float = 0.0, high: float = 1.0) -> float:
    value = number(value, what)
    if not low < value < high:
        raise MlproofError(f"{what} must lie strictly between {low:g} and {high:g}, got {value:g}.")
    return value


@dataclass(frozen=True)
class ConversionArm:
    conversions: int
    users: int

    @property
    def rate(self) -> float:
        return self.conversions / self.users


@dataclass(frozen=True)
class ContinuousArm:
    mean: float
    sd: float
    n: int


def arm(value: object, name: str) -> ConversionArm | ContinuousArm:
    if not isinstance(value, Mapping):
        raise MlproofError(f"The {name} arm must be {{conversions, users}} or {{mean, sd, n}}, got {shown(value)}.")
    keys = set(value)
    if keys == CONVERSION_KEYS:
        users = whole(value["users"], f"The {name} users", minimum=1)
        conversions = whole(value["conversions"], f"The {name} conversions")
        if conversions > users:
            raise MlproofError(f"The {name} arm has {conversions} conversions but only {users} users.")
        return ConversionArm(conversions, users)
    if keys == CONTINUOUS_KEYS:
        n = whole(value["n"], f"The {name} n", minimum=2)
        sd = number(value["sd"], f"The {name} sd")
        if sd <= 0:
            raise MlproofError(f"The {name} sd must be positive, got {sd:g}.")
        return ContinuousArm(number(value["mean"], f"The {name} mean"), sd, n)
    raise MlproofError(
        f"The {name} arm has the keys {shown(sorted(keys), 60)}; give conversions and users, or mean, sd and n."
    )


def fractions(looks: int, given: list | None) -> list[float]:
    """Information fractions of the K looks: equally spaced unless given (increasing, ending at 1)."""
    from mlproof.experiments.sequential import MAX_LOOKS, MIN_STEP

    if not 1 <= looks <= MAX_LOOKS:
        raise MlproofError(f"looks must be between 1 and {MAX_LOOKS}, got {looks}.")
    if given is None:
        return [(k + 1) / looks for k in range(looks)]
    values = [number(v, "Each information fraction") for v in given]
    if len(values) != looks:
        raise MlproofError(f"information_fractions has {len(values)} values for {looks} looks.")
    if abs(values[-1] - 1) > 1e-9:
        raise MlproofError("The last information fraction must be 1 (the final analysis).")
    previous = 0.0
    for value in values:
        if value - previous < MIN_STEP:
            raise MlproofError(f"Information fractions must increase by at least {MIN_STEP} from look to look, starting above 0.")
        previous = value
    values[-1] = 1.0
    return values
