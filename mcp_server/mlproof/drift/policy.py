"""Which test each column gets, its threshold, and when a value means drift.

Defaults follow Evidently 0.7 (`legacy/calculations/stattests/registry.py`,
`_get_default_stattest`), where `distinct` counts values of both samples together:

reference rows <= 1000
    numerical: KS when distinct > 5; chi-square when 3..5; z-test when <= 2
    categorical: chi-square when distinct > 2, else z-test
reference rows > 1000
    numerical: normed Wasserstein when distinct > 5, else Jensen-Shannon
    categorical: Jensen-Shannon
"""

from __future__ import annotations

from dataclasses import dataclass

from mlproof.errors import MlproofError

SMALL_REFERENCE_MAX_ROWS = 1000
FEW_VALUES_MAX = 5


@dataclass(frozen=True)
class Method:
    name: str
    label: str
    statistic_name: str
    column_types: tuple[str, ...]
    default_threshold: float
    uses_p_value: bool
    # Evidently's comparisons: KS drifts at p <= t, chi-square and z at p < t, distances at value >= t.
    inclusive: bool = True

    def drifted(self, statistic: float, p_value: float | None, threshold: float) -> bool:
        if self.uses_p_value:
            assert p_value is not None
            return p_value <= threshold if self.inclusive else p_value < threshold
        return statistic >= threshold

    def rule(self, threshold: float) -> str:
        if self.uses_p_value:
            return f"p-value {'<=' if self.inclusive else '<'} {threshold:g}"
        return f"{self.statistic_name} >= {threshold:g}"


BOTH = ("numerical", "categorical")
METHODS: dict[str, Method] = {
    m.name: m
    for m in [
        Method("ks", "Kolmogorov-Smirnov test", "KS statistic D", ("numerical",), 0.05, True, inclusive=True),
        Method("wasserstein", "Wasserstein distance (normed by reference std)", "normed Wasserstein", ("numerical",), 0.1, False),
        Method("psi", "Population Stability Index", "PSI", BOTH, 0.1, False),
        Method("jensenshannon", "Jensen-Shannon distance (natural log)", "JS distance", BOTH, 0.1, False),
        Method("chisquare", "chi-square test", "chi-square statistic", BOTH, 0.05, True, inclusive=False),
        Method("z", "two-proportion z-test", "z statistic", BOTH, 0.05, True, inclusive=False),
        Method("tvd", "total variation distance", "TVD", BOTH, 0.1, False),
        Method("hellinger", "Hellinger distance", "Hellinger distance", BOTH, 0.1, False),
    ]
}

ALIASES = {
    "js": "jensenshannon",
    "jensen-shannon": "jensenshannon",
    "jensen_shannon": "jensenshannon",
    "chi2": "chisquare",
    "chi-square": "chisquare",
    "chi_square": "chisquare",
    "wasserstein_normed": "wasserstein",
    "wasserstein-normed": "wasserstein",
    "kolmogorov-smirnov": "ks",
    "total_variation": "tvd",
    "z-test": "z",
    "ztest": "z",
}


def resolve_method(name: str) -> Method:
    key = name.strip().lower()
    key = ALIASES.get(key, key)
    if key not in METHODS:
        raise MlproofError(f"Unknown drift method {name!r}; choose one of {', '.join(METHODS)}.")
    return METHODS[key]


def default_method(column_type: str, reference_rows: int, distinct_values: int) -> tuple[Method, str]:
    """Evidently's default test for a column, with the reason in words."""
    small = reference_rows <= SMALL_REFERENCE_MAX_ROWS
    size = f"reference has {reference_rows} values ({'<=' if small else '>'} {SMALL_REFERENCE_MAX_ROWS})"
    few = f"{distinct_values} distinct values"
    if column_type == "numerical":
        if small:
            if distinct_values > FEW_VALUES_MAX:
                return METHODS["ks"], f"numerical, {size}, {few} (> {FEW_VALUES_MAX})"
            if distinct_values > 2:
                return METHODS["chisquare"], f"numerical, {size}, {few} (3..{FEW_VALUES_MAX})"
            return METHODS["z"], f"numerical, {size}, {few} (<= 2)"
        if distinct_values > FEW_VALUES_MAX:
            return METHODS["wasserstein"], f"numerical, {size}, {few} (> {FEW_VALUES_MAX})"
        return METHODS["jensenshannon"], f"numerical, {size}, {few} (<= {FEW_VALUES_MAX})"
    if column_type == "categorical":
        if small:
            if distinct_values > 2:
                return METHODS["chisquare"], f"categorical, {size}, {few} (> 2)"
            return METHODS["z"], f"categorical, {size}, {few} (<= 2)"
        return METHODS["jensenshannon"], f"categorical, {size}"
    raise MlproofError(f"No drift test applies to {column_type} columns.")


def check_method_fits(method: Method, column: str, column_type: str) -> None:
    if column_type not in method.column_types:
        raise MlproofError(
            f"Method {method.name} needs a {' or '.join(method.column_types)} column, but {column!r} is {column_type}."
        )
