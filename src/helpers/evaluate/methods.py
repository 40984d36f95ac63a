"""Evaluation methods as data: data/methods/<id>.yaml, loaded and checked here.

A method has pools (规上, 规下 ≥3亩 …), each with weighted indicators, a benchmark per indicator
(a fixed number, ``pool_aggregate`` = Σ numerator / Σ denominator of the pool in the evaluated
year, or ``pool_mean`` = the arithmetic mean of the pool's values), a missing-data rule, an
optional cap on value/benchmark, and class bands by rank share with the ranking rules the published
methods leave open (ties, small pools: ``Ranking``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from helpers.core import paths
from helpers.core.errors import InputError
from helpers.core.yamlfile import load_yaml
from helpers.evaluate.indicators import indicator_defs

BENCHMARK_KINDS = {"pool_aggregate", "pool_mean"}
TIE_RULES = {
    "best_rank_bottom_kept": "并列取最优名次；末档若因并列而空，则末位并列组划入末档 ties share the best rank; "
    "when ties would leave the bottom band empty, the tie group in last place is placed in it",
    "best_rank": "并列取最优名次 ties share the best rank (the bottom band may stay empty)",
    "average_rank": "并列取平均名次 ties share the average of their places",
}
DEFAULT_TIES = "best_rank_bottom_kept"
DEFAULT_MIN_POOL_SIZE = 5  # the sources are silent: a parameter, stated on the evaluation page
DEFAULT_RANKING: dict[str, object] = {"ties": DEFAULT_TIES, "min_pool_size": DEFAULT_MIN_POOL_SIZE}
MISSING_RULES = {"zero", "pool_mean_item_score"}
ZERO_DENOMINATOR_RULES = {
    "missing": "按缺失值处理（适用该项的缺失规则）counted as a missing value (the item's missing rule applies)",
    "pool_best": "取池内该指标最优值 given the pool's best value of the indicator",
}
DEFAULT_ZERO_DENOMINATOR = "missing"  # the sources are silent: stated on the evaluation page
SELECT_KEYS = {"above_scale", "land_mu_min", "land_mu_max_excl"}
WEIGHT_TOTAL = 100.0


@dataclass(frozen=True)
class Item:
    indicator: str
    weight: float
    benchmark: float | str
    missing: str
    cap_ratio: float | None = None
    zero_denominator: str = DEFAULT_ZERO_DENOMINATOR

    @property
    def fixed_benchmark(self) -> bool:
        return not isinstance(self.benchmark, str)


@dataclass(frozen=True)
class Ranking:
    """How a pool's scores become classes where the published methods are silent (``ranking:`` in
    the method file; defaults ``DEFAULT_RANKING``). ``ties``: one of ``TIE_RULES``; a pool with fewer
    than ``min_pool_size`` enterprises, or whose scores are all equal, is not put in classes."""

    ties: str = DEFAULT_TIES
    min_pool_size: int = DEFAULT_MIN_POOL_SIZE

    @property
    def text(self) -> str:
        m = self.min_pool_size
        return f"{TIE_RULES[self.ties]}; 池内少于 {m} 家或得分全同则不分档 pools under {m} enterprises, or with no spread, are not put in classes"


@dataclass(frozen=True)
class Pool:
    id: str
    zh: str
    select: dict
    items: tuple[Item, ...]
    bands: tuple[tuple[str, float], ...]
    bands_source: str
    ranking: Ranking = Ranking()


@dataclass(frozen=True)
class Method:
    id: str
    title: str
    file: Path
    evaluation_year: int | None
    source: dict
    assumptions: tuple[str, ...]
    pools: tuple[Pool, ...]
    land_area: str = "registered"
    extra: dict = field(default_factory=dict)

    def pool(self, pool_id: str) -> Pool:
        return next(p for p in self.pools if p.id == pool_id)


def available_methods() -> list[str]:
    """Ids of the evaluation methods in data/methods/: the YAML files that define pools (the folder
    also holds the indicator definitions and the 高耗低效 rule)."""
    return sorted(p.stem for p in paths.METHODS_DIR.glob("*.yaml") if "pools" in (load_yaml(p) or {}))


def load_method(method: str | Path) -> Method:
    """Load and check a method by id or path; a bad file raises ``InputError`` naming the field."""
    path = paths.method_file(str(method))
    if not path.is_file():
        raise InputError(
            path, "method file not found", expected=f"one of {', '.join(available_methods())} or a path to a method YAML"
        )
    raw = load_yaml(path)
    defs = indicator_defs()

    def bad(where: str, problem: str, expected: str):
        raise InputError(path, problem, column=where, expected=expected)

    def ranking_of(spec: dict | None, where: str, base: dict) -> dict:
        spec = {**base, **(spec or {})}
        unknown = set(spec) - set(DEFAULT_RANKING)
        if unknown:
            bad(f"{where}.ranking", f"unknown setting(s) {sorted(unknown)}", f"keys among {sorted(DEFAULT_RANKING)}")
        if spec["ties"] not in TIE_RULES:
            bad(f"{where}.ranking.ties", f"unknown tie rule {spec['ties']!r}", f"one of {sorted(TIE_RULES)}")
        size = spec["min_pool_size"]
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            bad(f"{where}.ranking.min_pool_size", f"min_pool_size {size!r} is not a whole number ≥ 1", "a whole number ≥ 1")
        return spec

    method_ranking = ranking_of(raw.get("ranking"), "method", DEFAULT_RANKING)
    pools = []
    for p_i, p in enumerate(raw.get("pools") or []):
        where = f"pools[{p_i}] ({p.get('id', '?')})"
        unknown = set(p.get("select", {})) - SELECT_KEYS
        if unknown:
            bad(f"{where}.select", f"unknown selector(s) {sorted(unknown)}", f"keys among {sorted(SELECT_KEYS)}")
        items = []
        for it in p.get("indicators") or []:
            if it.get("indicator") not in defs:
                bad(
                    f"{where}.indicators",
                    f"unknown indicator {it.get('indicator')!r}",
                    f"one of {', '.join(defs)} (data/methods/indicators.yaml)",
                )
            b = it.get("benchmark")
            if isinstance(b, str):
                if b not in BENCHMARK_KINDS:
                    bad(
                        f"{where}.{it['indicator']}.benchmark",
                        f"unknown benchmark {b!r}",
                        f"a positive number or one of {sorted(BENCHMARK_KINDS)}",
                    )
            elif not isinstance(b, (int, float)) or b <= 0:
                bad(
                    f"{where}.{it['indicator']}.benchmark",
                    f"benchmark {b!r} is not a positive number",
                    f"a positive number or one of {sorted(BENCHMARK_KINDS)}",
                )
            missing = it.get("missing", p.get("missing", "zero"))
            if missing not in MISSING_RULES:
                bad(
                    f"{where}.{it['indicator']}.missing",
                    f"unknown missing-data rule {missing!r}",
                    f"one of {sorted(MISSING_RULES)}",
                )
            zero = it.get("zero_denominator", p.get("zero_denominator", raw.get("zero_denominator", DEFAULT_ZERO_DENOMINATOR)))
            if zero not in ZERO_DENOMINATOR_RULES:
                bad(
                    f"{where}.{it['indicator']}.zero_denominator",
                    f"unknown zero-denominator rule {zero!r}",
                    f"one of {sorted(ZERO_DENOMINATOR_RULES)}",
                )
            items.append(
                Item(
                    indicator=it["indicator"],
                    weight=float(it["weight"]),
                    benchmark=b if isinstance(b, str) else float(b),
                    missing=missing,
                    cap_ratio=it.get("cap_ratio", p.get("cap_ratio")),
                    zero_denominator=zero,
                )
            )
        total = sum(i.weight for i in items)
        if abs(total - WEIGHT_TOTAL) > 1e-9:
            bad(f"{where}.indicators", f"weights add up to {total:g}", f"weights adding up to {WEIGHT_TOTAL:g}")
        bands = tuple((b["class"], float(b["upper_share"])) for b in p["class_bands"]["bands"])
        shares = [s for _, s in bands]
        if any(b <= a for a, b in zip(shares, shares[1:])) or shares[-1] != 1.0 or shares[0] <= 0:
            bad(
                f"{where}.class_bands",
                f"upper shares {shares} are not increasing to 1.0",
                "cumulative shares increasing and ending at 1.0",
            )
        pools.append(
            Pool(
                id=p["id"],
                zh=p.get("zh", p["id"]),
                select=dict(p.get("select", {})),
                items=tuple(items),
                bands=bands,
                bands_source=p["class_bands"].get("source", ""),
                ranking=Ranking(**ranking_of(p.get("ranking"), where, method_ranking)),
            )
        )
    if not pools:
        bad("pools", "no pools", "at least one pool")
    return Method(
        id=raw.get("id", path.stem),
        title=raw.get("title", path.stem),
        file=path,
        evaluation_year=raw.get("evaluation_year"),
        source=raw.get("source") or {},
        assumptions=tuple(raw.get("assumptions") or ()),
        pools=tuple(pools),
        land_area=raw.get("land_area", "registered"),
    )
