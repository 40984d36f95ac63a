"""Bring your own data, end to end: a county-shaped folder (workbook + GBK Shapefile in zone-40
coordinates) through the whole main job, anonymised, with the network blocked; nothing of the
input's names or codes in any output file; the inputs untouched; a broken folder gets a list of
problems instead of a report."""

import json
import os
import subprocess
import sys
import zipfile

import pytest
import yaml

from helpers.core import paths
from helpers.io.dataset import load_dataset
from helpers.report import runner
from helpers.report.provenance import hash_tree
from helpers.report.sharing import scan_for_leaks, sensitive_strings
from helpers.synthetic.county_example import write_county_example

NETGUARD = paths.PROJECT_ROOT / "tests" / "netguard"


def guarded_env(log) -> dict:
    env = dict(os.environ, MPLBACKEND="Agg", MUJUN_NETGUARD_LOG=str(log))
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
    (tmp_path / "clean.csv").write_text("企业-1A2B3C4D\n", encoding="utf-8")
    found = {(p.rsplit("/", 1)[1], s) for p, s in scan_for_leaks(tmp_path, needles)}
    assert found == {
        ("a.html", "临平示例机械有限公司"),
        ("b.ipynb", "91330113MA2H3K4L5X"),
        ("b.ipynb", "临平示例机械有限公司"),
        ("c.xlsx", "临平示例机械有限公司"),
        ("d.html", "临平示例机械有限公司"),
    }


def test_broken_folder_gets_problems_not_a_report(sample_copy, tmp_path):
    (sample_copy / "panel.csv").write_text("credit_code,year\n", encoding="utf-8")
    code = runner.main(["--reports-dir", str(tmp_path), "--run", "bad", "-p", "data_dir", str(sample_copy)])
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
        assert len(prov["notebooks"]) == 5 and all(nb["ok"] for nb in prov["notebooks"])
        assert not county_run["log"].exists() or county_run["log"].read_text() == ""  # no network attempt

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

    def test_inputs_untouched_and_recorded(self, county_run):
        assert county_run["data_unchanged"] and county_run["input_unchanged"]
        prov = json.loads((county_run["run"] / "provenance.json").read_text(encoding="utf-8"))
        inputs = {k.rsplit("/", 1)[-1]: v for k, v in prov["inputs"].items()}
        assert {"临平区工业企业亩均效益数据.xlsx", "工业用地宗地.shp", "工业用地宗地.dbf"} <= set(inputs)
        params = yaml.safe_load((county_run["run"] / "parameters.yaml").read_text(encoding="utf-8"))
        assert params["parameters"]["anonymize"] is True and params["parameters"]["generalize_m"] == 20

    def test_the_report_reads_the_county_files(self, county_run):
        overview = (county_run["run"] / "01_data_overview.html").read_text(encoding="utf-8")
        assert "EPSG:4528 inferred" in overview and "合计行" in overview and "gbk" in overview
        assert "合成" in (county_run["run"] / "index.html").read_text(encoding="utf-8")
