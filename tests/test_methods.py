import re

import pytest
import yaml

from helpers.core.errors import InputError
from helpers.evaluate.methods import available_methods, load_method


def test_shipped_methods_load_with_sources():
    assert {"huangyan_2022", "huangyan_2021", "linping_default"} <= set(available_methods())
    for m in available_methods():
        method = load_method(m)
        assert method.pools
        for pool in method.pools:
            assert sum(i.weight for i in pool.items) == pytest.approx(100)
            assert pool.bands[-1][1] == 1.0 and pool.bands_source
        assert method.source.get("url") or method.assumptions, f"{m}: neither a source nor stated assumptions"


def test_huangyan_2022_numbers_are_the_published_ones():
    m = load_method("huangyan_2022")
    above = {i.indicator: (i.weight, i.benchmark) for i in m.pool("above_scale").items}
    assert above == {
        "tax_per_mu": (30, 24.097),
        "va_per_mu": (20, 136.16),
        "va_per_energy": (20, 2.694),
        "va_per_emission": (10, 4929.81),
        "labour_productivity": (10, 18.14),
        "rd_ratio": (10, 0.0302),
    }
    below = {i.indicator: (i.weight, i.benchmark) for i in m.pool("below_scale").items}
    assert below == {"tax_per_mu": (50, 11.5932), "tax_per_kwh": (50, 0.2352)}
    assert m.source["url"].endswith("news430850.html") and m.source["confidence"] == "S"


def write_method(tmp_path, mutate):
    raw = yaml.safe_load(open(load_method("huangyan_2022").file, encoding="utf-8"))
    mutate(raw)
    p = tmp_path / "m.yaml"
    p.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return p


def test_weights_not_adding_to_100_are_refused(tmp_path):
    p = write_method(tmp_path, lambda r: r["pools"][0]["indicators"][0].update(weight=31))
    with pytest.raises(InputError, match="weights add up to 101"):
        load_method(p)


def test_unknown_indicator_and_benchmark_are_refused(tmp_path):
    p = write_method(tmp_path, lambda r: r["pools"][0]["indicators"][0].update(indicator="tax_per_cow"))
    with pytest.raises(InputError, match="unknown indicator 'tax_per_cow'"):
        load_method(p)
    p = write_method(tmp_path, lambda r: r["pools"][0]["indicators"][0].update(benchmark="county_median"))
    with pytest.raises(InputError, match="unknown benchmark"):
        load_method(p)


def test_bands_must_increase_to_one(tmp_path):
    p = write_method(tmp_path, lambda r: r["pools"][0]["class_bands"]["bands"][-1].update(upper_share=0.99))
    with pytest.raises(InputError, match="not increasing to 1.0"):
        load_method(p)


def test_unknown_method_lists_available():
    with pytest.raises(InputError, match="linping_default"):
        load_method("nosuch")


def test_the_ranking_rules_have_stated_defaults_and_can_be_set_per_method_or_pool(tmp_path):
    from helpers.evaluate.methods import DEFAULT_RANKING

    default = load_method("linping_default").pool("above_scale").ranking
    assert (default.ties, default.min_pool_size) == (DEFAULT_RANKING["ties"], DEFAULT_RANKING["min_pool_size"])
    assert "bottom band" in default.text and "under 5" in default.text

    def set_rules(r):
        r["ranking"] = {"ties": "average_rank", "min_pool_size": 10}
        r["pools"][1]["ranking"] = {"ties": "best_rank"}

    m = load_method(write_method(tmp_path, set_rules))
    assert (m.pools[0].ranking.ties, m.pools[0].ranking.min_pool_size) == ("average_rank", 10)
    assert (m.pools[1].ranking.ties, m.pools[1].ranking.min_pool_size) == ("best_rank", 10)


@pytest.mark.parametrize(
    "ranking, says",
    [
        ({"ties": "random"}, "unknown tie rule 'random'"),
        ({"min_pool_size": 0}, "min_pool_size 0 is not a whole number"),
        ({"min_size": 3}, "unknown setting(s) ['min_size']"),
    ],
)
def test_a_wrong_ranking_rule_is_named(tmp_path, ranking, says):
    p = write_method(tmp_path, lambda r: r.update(ranking=ranking))
    with pytest.raises(InputError, match=re.escape(says)):
        load_method(p)
