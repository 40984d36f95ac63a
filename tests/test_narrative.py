from helpers.evaluate.methods import load_method
from helpers.report.narrative import data_notice, method_notice, scope_text


def test_method_notice_warns_when_benchmarks_belong_to_another_year():
    m = load_method("huangyan_2022")
    assert "2022" in method_notice(m, 2023) and "applied here to 2023" in method_notice(m, 2023)
    assert "applied here" not in method_notice(m, 2022)
    text = method_notice(load_method("linping_default"), 2023)
    assert text.count("- 假设 assumption:") == len(load_method("linping_default").assumptions)
    assert "confidence U" in text


def test_data_notice_says_synthetic(sample):
    assert data_notice(sample).startswith("> ⚠️ **合成数据 Synthetic data.**")


def test_scope_text():
    assert scope_text(None) == "全区 whole district"
    assert scope_text(["330113003", "330113100"]) == "东湖街道、塘栖镇"
