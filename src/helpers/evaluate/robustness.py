"""How robust each class is: the evaluation re-run under documented alternative specifications.

A 亩均 ranking rests on choices the published methods make differently or not at all: the
weights, a cap on value/benchmark, the class bands, the tie rule. ``data/methods/robustness.yaml``
lists alternatives, each changing one of them in the chosen method (with its source). For each,
``robustness`` evaluates the district again and counts the evaluated enterprises whose class stays,
moves one class, or moves two or more, and those entering or leaving D; an enterprise is *stable*
when its class is the same under the method and every alternative. Classes are compared
enterprise by enterprise over those put in classes under both.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from helpers.core import paths
from helpers.core.errors import InputError
from helpers.core.yamlfile import load_yaml
from helpers.evaluate.evaluation import evaluate
from helpers.evaluate.methods import TIE_RULES, Item, Method, Pool
from helpers.io.dataset import Dataset

ALTERNATIVES_FILE = paths.METHODS_DIR / "robustness.yaml"
CLASS_ORDER = {"A": 0, "B": 1, "C": 2, "D": 3}


@dataclass(frozen=True)
class Alternative:
    id: str
    zh: str
    source: str
    spec: dict


def load_alternatives(path: Path = ALTERNATIVES_FILE) -> list[Alternative]:
    """The alternative specifications of ``path``; a key it cannot apply is an ``InputError``."""
    known = {"weights", "cap_ratio", "bands", "ties"}
    out = []
    for i, raw in enumerate(load_yaml(path)["alternatives"]):
        spec = {k: v for k, v in raw.items() if k not in ("id", "zh", "source")}
        if not spec or set(spec) - known:
            raise InputError(
                path, f"alternative {i + 1} ({raw.get('id')}) changes {sorted(spec)}", expected=f"one of {sorted(known)}"
            )
        out.append(Alternative(raw["id"], raw.get("zh", raw["id"]), raw.get("source", ""), spec))
    return out


def _pool_kind(pool: Pool) -> str:
    return "above_scale" if pool.select.get("above_scale", True) else "below_scale"


def _weights(pool: Pool, weights) -> tuple[Item, ...]:
    if weights == "equal":
        return tuple(replace(i, weight=100.0 / len(pool.items)) for i in pool.items)
    given = weights.get(_pool_kind(pool))
    if not given:
        return pool.items
    existing = {i.indicator: i for i in pool.items}
    missing = pool.items[0].missing if pool.items else "zero"
    return tuple(
        replace(existing[k], weight=float(w))
        if k in existing
        else Item(indicator=k, weight=float(w), benchmark="pool_aggregate", missing=missing)
        for k, w in given.items()
    )


def alternative_method(method: Method, alt: Alternative) -> Method:
    """``method`` with the one change ``alt`` makes, in every pool."""
    pools = []
    for pool in method.pools:
        changed = pool
        if "weights" in alt.spec:
            changed = replace(changed, items=_weights(pool, alt.spec["weights"]))
        if "cap_ratio" in alt.spec:
            changed = replace(changed, items=tuple(replace(i, cap_ratio=float(alt.spec["cap_ratio"])) for i in changed.items))
        if "bands" in alt.spec:
            shares = [float(s) for s in alt.spec["bands"]]
            changed = replace(changed, bands=tuple((name, s) for (name, _), s in zip(pool.bands, shares, strict=True)))
        if "ties" in alt.spec:
            if alt.spec["ties"] not in TIE_RULES:
                raise InputError(
                    ALTERNATIVES_FILE, f"unknown tie rule {alt.spec['ties']!r}", expected=f"one of {sorted(TIE_RULES)}"
                )
            changed = replace(changed, ranking=replace(pool.ranking, ties=alt.spec["ties"]))
        pools.append(changed)
    return replace(method, id=f"{method.id}+{alt.id}", pools=tuple(pools))


@dataclass
class Robustness:
    """Per alternative, how classes moved against the method (``table``); per enterprise, its class
    under each (``classes``: columns ``base`` and the alternatives' ids); the share stable under all."""

    table: pd.DataFrame
    classes: pd.DataFrame
    stable_share: float
    n_compared: int


def robustness(
    dataset: Dataset, year: int, method: Method, land_basis: str = "declared", alternatives: list[Alternative] | None = None
) -> Robustness:
    """The district's evaluation of ``year`` under ``method`` and under each alternative (see the module)."""
    alternatives = load_alternatives() if alternatives is None else alternatives
    base = evaluate(dataset, year, method, land_basis=land_basis).evaluated.set_index("credit_code")
    classes = pd.DataFrame({"base": base["class"]})
    rows = []
    for alt in alternatives:
        other = evaluate(dataset, year, alternative_method(method, alt), land_basis=land_basis).evaluated
        cls = other.set_index("credit_code")["class"].reindex(classes.index)
        classes[alt.id] = cls
        both = classes["base"].notna() & cls.notna()
        step = (cls[both].map(CLASS_ORDER) - classes.loc[both, "base"].map(CLASS_ORDER)).abs()
        rows.append(
            {
                "alternative": alt.id,
                "变化 change": alt.zh,
                "来源 source": alt.source,
                "compared": int(both.sum()),
                "unchanged": int((step == 0).sum()),
                "unchanged_share": float((step == 0).mean()) if both.any() else float("nan"),
                "moved_1": int((step == 1).sum()),
                "moved_2_plus": int((step >= 2).sum()),
                "into_D": int(((cls == "D") & (classes["base"] != "D") & both).sum()),
                "out_of_D": int(((cls != "D") & (classes["base"] == "D") & both).sum()),
            }
        )
    ranked = classes.notna().all(axis=1)
    stable = ranked & classes.eq(classes["base"], axis=0).all(axis=1)
    return Robustness(
        table=pd.DataFrame(rows),
        classes=classes,
        stable_share=float(stable.sum() / ranked.sum()) if ranked.any() else float("nan"),
        n_compared=int(ranked.sum()),
    )


__all__ = ["Alternative", "Robustness", "alternative_method", "load_alternatives", "robustness"]
