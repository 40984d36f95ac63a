"""The robustness section: each documented alternative changes exactly one choice of the method,
and the counts of classes kept and moved add up."""

from __future__ import annotations

import pytest

from helpers.core.errors import InputError
from helpers.evaluate.methods import load_method
from helpers.evaluate.robustness import Alternative, alternative_method, load_alternatives, robustness


@pytest.fixture(scope="module")
def method():
    return load_method("linping_default")


def test_each_alternative_changes_one_thing(method):
    alts = {a.id: a for a in load_alternatives()}
    assert len(alts) >= 6 and all(a.source for a in alts.values())
    equal = alternative_method(method, alts["equal_weights"])
    for pool in equal.pools:
        assert {i.weight for i in pool.items} == {100 / len(pool.items)}
    other = alternative_method(method, alts["gu456_weights"])
    above = other.pool("above_scale")
    assert {i.indicator: i.weight for i in above.items} == {
        "tax_per_mu": 45,
        "revenue_per_mu": 20,
        "va_per_energy": 15,
        "rd_ratio": 15,
        "labour_productivity": 5,
    }
    assert [i.indicator for i in other.pool("below_scale_3mu_plus").items] == ["tax_per_mu"]
    capped = alternative_method(method, alts["cap_2"])
    assert {i.cap_ratio for p in capped.pools for i in p.items} == {2.0}
    assert capped.pools[0].bands == method.pools[0].bands  # nothing else changed
    bands = alternative_method(method, alts["bands_huaian"])
    assert [s for _, s in bands.pool("above_scale").bands] == [0.2, 0.6, 0.95, 1.0]
    assert bands.pool("above_scale").items == method.pool("above_scale").items
    assert alternative_method(method, alts["average_rank"]).pools[0].ranking.ties == "average_rank"


def test_counts_add_up_and_the_stable_share_is_no_more_than_any_alternatives(sample, method):
    r = robustness(sample, 2023, method)
    t = r.table
    assert (t["unchanged"] + t["moved_1"] + t["moved_2_plus"] == t["compared"]).all()
    assert (t["into_D"] == t["out_of_D"]).all()  # D has a fixed share of the same pools
    assert 0 < r.stable_share <= t["unchanged_share"].min() + 1e-12
    assert r.n_compared == int(r.classes.notna().all(axis=1).sum())
    same = Alternative("same", "同一方法", "test", {"cap_ratio": 1e9})  # a cap nobody reaches: nothing moves
    assert robustness(sample, 2023, method, alternatives=[same]).stable_share == 1.0


def test_an_alternative_that_changes_nothing_known_is_refused(tmp_path):
    path = tmp_path / "alts.yaml"
    path.write_text("alternatives:\n  - {id: x, zh: x, source: x, colour: red}\n", encoding="utf-8")
    with pytest.raises(InputError, match="changes \\['colour'\\]"):
        load_alternatives(path)


def test_the_alternatives_cite_no_network_address():
    assert not [a.id for a in load_alternatives() if "http" in a.source]
