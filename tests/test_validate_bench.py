"""bench/validate_codesets.py runs on a data folder laid out as ../shared/data is, here made of
the code-set excerpts (the full files are never needed by the tests)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

CODESETS = ROOT / "tests" / "data" / "codesets"


def test_the_bench_checks_every_done_when_item(tmp_path: Path) -> None:
    for folder, name in (
        ("hcpcs", "hcpcs_2025_oct_codes.csv"),
        ("icd10cm", "icd10cm_2026_codes.jsonl"),
        ("icd10pcs", "icd10pcs_2025_codes.csv"),
    ):
        (tmp_path / folder).mkdir()
        shutil.copy(CODESETS / name, tmp_path / folder / name)
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "validate_codesets.py"), str(tmp_path), "--corruptions", "48"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    checks = re.findall(
        r"^\| (ICD-10-CM billable|ICD-10-CM category|HCPCS terminated)[^|]*\| (\d+) \| (\d+) \|",
        done.stdout,
        re.M,
    )
    assert len(checks) == 3
    assert all(int(count) > 0 and failures == "0" for _, count, failures in checks), done.stdout
    overall = re.search(
        r"^\| all \| all \| 48 \| \d+ \| [\d.]+% \| [\d.]+% \| ([\d.]+)% \|", done.stdout, re.M
    )
    assert overall is not None and float(overall.group(1)) == 100.0, done.stdout
