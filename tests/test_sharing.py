"""Bring your own data, end to end: a county-shaped folder (workbook + GBK Shapefile in zone-40
coordinates) through the whole main job, anonymised with a private key, with the network blocked;
``make scan`` finds none of the input's names, codes, parcel codes, file or sheet names or local paths
in any output file; the inputs untouched; a broken folder gets a list of problems instead of a report."""

import json
import os
import subprocess
import sys
import zipfile

import pytest
import yaml
from matplotlib.figure import Figure

from helpers.core import paths
from helpers.io.dataset import load_dataset
from helpers.report import runner, sharing
from helpers.report.provenance import hash_tree
from helpers.report.sharing import scan_for_leaks, sensitive_strings
from helpers.synthetic.county_example import write_county_example
from tests.adversarial import case

NETGUARD = paths.PROJECT_ROOT / "tests" / "netguard"


PRIVATE_KEY = "a-private-key-for-this-test-only-0f3a9c"


def guarded_env(log) -> dict:
    env = dict(os.environ, MPLBACKEND="Agg", MUJUN_NETGUARD_LOG=str(log), MUJUN_PSEUDONYM_KEY=PRIVATE_KEY)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(NETGUARD), env.get("PYTHONPATH")) if p)
    return env


def test_network_guard_blocks_and_logs(tmp_path):
    log = tmp_path / "net.log"
    code = (
        "import socket\n"
        "try:\n    socket.create_connection(('93.184.216.34', 80), timeout=3)\nexcept OSError as e:\n    print('blocked')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env=guarded_env(log), capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "blocked" and "93.184.216.34" in log.read_text()


def test_scan_finds_names_in_every_kind_of_file(tmp_path):
    needles = {"临平示例机械有限公司", "91330113MA2H3K4L5X"}
    (tmp_path / "a.html").write_text("<td>临平示例机械有限公司</td>", encoding="utf-8")
    (tmp_path / "b.ipynb").write_text(
        json.dumps({"x": "91330113MA2H3K4L5X 临平示例机械有限公司"}), encoding="utf-8"
    )  # \\u escapes
    with zipfile.ZipFile(tmp_path / "c.xlsx", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/sharedStrings.xml", "<t>临平示例机械有限公司</t>")
    (tmp_path / "d.html").write_text('<iframe srcdoc="&lt;b&gt;&#20020;平示例机械有限公司"></iframe>', encoding="utf-8")
    (tmp_path / "clean.csv").write_text("企业-1A2B3C4D5E6F\n", encoding="utf-8")
    fig = Figure(figsize=(3, 1))
    fig.text(0.1, 0.5, "91330113MA2H3K4L5X")  # a printed page: compressed, glyph-coded text
    fig.savefig(tmp_path / "e.pdf")
    assert b"91330113MA2H3K4L5X" not in (tmp_path / "e.pdf").read_bytes()
    found = {(p.rsplit("/", 1)[1], s) for p, s in scan_for_leaks(tmp_path, needles)}
    assert found == {
        ("e.pdf", "91330113MA2H3K4L5X"),
        ("a.html", "临平示例机械有限公司"),
        ("b.ipynb", "91330113MA2H3K4L5X"),
        ("b.ipynb", "临平示例机械有限公司"),
        ("c.xlsx", "临平示例机械有限公司"),
        ("d.html", "临平示例机械有限公司"),
    }


@case("privacy", "refused")
def test_scan_finds_local_paths_file_and_sheet_names_and_exits_1(sample_copy, tmp_path, capsys):
    (sample_copy / "张三机械厂用地名单.txt").write_text("notes\n", encoding="utf-8")  # ignored by the check, named in no output
    run = tmp_path / "run"
    run.mkdir()
    (run / "index.html").write_text("<p>企业-1A2B3C4D5E6F 2023年 parcels enterprises.csv</p>", encoding="utf-8")
    assert sharing.main([str(run), str(sample_copy)]) == 0
    (run / "parameters.yaml").write_text(f"data_dir: {sample_copy}\n", encoding="utf-8")
    (run / "a.json").write_text(json.dumps({"f": "张三机械厂用地名单", "home": "/home/alice/x"}), encoding="utf-8")
    assert sharing.main([str(run), str(sample_copy)]) == 1
    out = capsys.readouterr().out
    assert f"本地路径 local path: {sample_copy}" in out
    assert "文件或表名 file or sheet name: 张三机械厂用地名单" in out and "/home/alice" in out
    assert "3 leak(s)" in out.splitlines()[-1]


def test_scan_without_a_run_folder_says_so(sample_copy, capsys):
    assert sharing.main(["", str(sample_copy)]) == 2
    assert "RUN=reports/<run>" in capsys.readouterr().err


@case("logic", "error")
def test_broken_folder_gets_problems_not_a_report(sample_copy, tmp_path):
    (sample_copy / "panel.csv").write_text("credit_code,year\n", encoding="utf-8")
    code = runner.main(["--no-pdf", "--reports-dir", str(tmp_path), "--run", "bad", "-p", "data_dir", str(sample_copy)])
    run = tmp_path / "bad"
    assert code == 1 and not list(run.glob("*.ipynb"))
    page = (run / "index.html").read_text(encoding="utf-8")
    assert "no notebook ran" in page and "missing required column" in page and "panel.csv" in page
    assert (run / "problems.csv").read_text(encoding="utf-8-sig").startswith("severity,file,column,rows")


@pytest.mark.notebook
class TestCountyFolderThroughTheMainJob:
    @pytest.fixture(scope="class")
    @classmethod
    def county_run(cls, tmp_path_factory):
        folder = write_county_example(tmp_path_factory.mktemp("county") / "临平区经信局导出")
        reports = tmp_path_factory.mktemp("reports")
        log = reports / "network.log"
        before_data, before_input = hash_tree(paths.DATA_DIR), hash_tree(folder)
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "helpers.report.runner",
                "--reports-dir",
                str(reports),
                "--run",
                "shared",
                "-p",
                "data_dir",
                str(folder),
                "-p",
                "anonymize",
                "true",
                "-p",
                "generalize_m",
                "20",
            ],
            env=guarded_env(log),
            capture_output=True,
            text=True,
            cwd=tmp_path_factory.mktemp("cwd"),
        )
        return {
            "folder": folder,
            "run": reports / "shared",
            "proc": proc,
            "log": log,
            "data_unchanged": hash_tree(paths.DATA_DIR) == before_data,
            "input_unchanged": hash_tree(folder) == before_input,
        }

    def test_every_notebook_runs_offline(self, county_run):
        proc = county_run["proc"]
        assert proc.returncode == 0, proc.stderr[-3000:]
        prov = json.loads((county_run["run"] / "provenance.json").read_text(encoding="utf-8"))
        expected = yaml.safe_load((paths.PARAMS_DIR / "default.yaml").read_text(encoding="utf-8"))["notebooks"]
        assert len(prov["notebooks"]) == len(expected) and all(nb["ok"] for nb in prov["notebooks"])
        assert not county_run["log"].exists() or county_run["log"].read_text() == ""  # no network attempt

    @case("privacy", "hidden")
    def test_nothing_confidential_in_any_output(self, county_run):
        needles = sensitive_strings(load_dataset(county_run["folder"]))
        assert len(needles) > 5000
        outputs = {p.suffix for p in county_run["run"].rglob("*") if p.is_file()}
        assert {".html", ".ipynb", ".xlsx", ".gpkg", ".csv", ".json", ".yaml"} <= outputs
        assert scan_for_leaks(county_run["run"], needles) == []
        page = (county_run["run"] / "03_low_efficiency.html").read_text(encoding="utf-8")
        assert "企业-" in page  # pseudonyms where the names were
        parcels = set(load_dataset(county_run["folder"]).parcels["parcel_id"])
        assert parcels <= needles  # parcel codes are looked for too …
        evaluation = next((county_run["run"] / "tables").glob("evaluation_*.csv")).read_text(encoding="utf-8-sig")
        assert "宗地-" in evaluation  # … and pseudonymised where they were

    @case("privacy", "hidden")
    def test_make_scan_finds_nothing_it_looks_for(self, county_run, capsys):
        kinds = set(sharing.needles_of(county_run["folder"]).values())
        assert kinds == {"名称或代码 name or code", "文件或表名 file or sheet name", "本地路径 local path"}
        assert sharing.main([str(county_run["run"]), str(county_run["folder"])]) == 0
        assert capsys.readouterr().out.startswith("0 leak(s)")

    def test_pseudonyms_come_from_the_private_key(self, county_run):
        overview = (county_run["run"] / "01_data_overview.html").read_text(encoding="utf-8")
        assert "MUJUN_PSEUDONYM_KEY" in overview and "public key" not in overview

    @case("privacy", "hidden")
    def test_the_runs_own_record_names_no_folder(self, county_run):
        params = yaml.safe_load((county_run["run"] / "parameters.yaml").read_text(encoding="utf-8"))
        assert params["parameters"]["data_dir"] == "<数据>"
        assert {p["output_dir"] for p in params["per_notebook"].values() if "output_dir" in p} == {"."}
        executed = json.loads((county_run["run"] / "02_mujun_evaluation.ipynb").read_text(encoding="utf-8"))
        injected = next(c for c in executed["cells"] if "injected-parameters" in c["metadata"].get("tags", []))
        given: dict = {}
        exec("".join(injected["source"]), {}, given)  # the cell papermill wrote, as the kernel read it
        assert given["data_dir"] == "<数据>" and given["output_dir"] == "."
        assert executed["metadata"]["papermill"]["output_path"] == "02_mujun_evaluation.ipynb"

    def test_inputs_untouched_and_recorded(self, county_run):
        assert county_run["data_unchanged"] and county_run["input_unchanged"]
        prov = json.loads((county_run["run"] / "provenance.json").read_text(encoding="utf-8"))
        hashes = hash_tree(county_run["folder"])  # every input file hashed, under its alias
        recorded = {k: v for k, v in prov["inputs"].items() if k.startswith("<数据>/")}
        assert sorted(recorded.values()) == sorted(hashes.values()) and len(recorded) == 6
        assert sorted(recorded)[0] == "<数据>/文件1.yaml" and set(hashes).isdisjoint(prov["inputs"])
        params = yaml.safe_load((county_run["run"] / "parameters.yaml").read_text(encoding="utf-8"))
        assert params["parameters"]["anonymize"] is True and params["parameters"]["generalize_m"] == 20

    def test_the_report_reads_the_county_files(self, county_run):
        overview = (county_run["run"] / "01_data_overview.html").read_text(encoding="utf-8")
        assert "EPSG:4528 inferred" in overview and "合计行" in overview and "gbk" in overview
        assert "合成" in (county_run["run"] / "index.html").read_text(encoding="utf-8")
