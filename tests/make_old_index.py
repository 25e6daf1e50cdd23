"""Build tests/old_index/34b9464.tar.gz: an index written by commit 34b9464, the last release
whose packages were top-level (`index`, `queries`, `pipeline`), so its TOC pickles classes by
those module paths. tests/test_old_index.py reads it with today's code.

    python tests/make_old_index.py   # from a git checkout; needs the dependencies installed

Six of our own example pages, ingested in two runs (two segments, two folders recorded).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

COMMIT = "34b9464"
ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "old_index" / f"{COMMIT}.tar.gz"
EXAMPLES = ROOT / "examples" / "pages"
RUNS = {
    "a": ["hcpcs-C9028.txt", "hcpcs-J9229.txt", "icd10cm-E11.9.txt", "cpt4-93000.html"],
    "b": ["icd10cm-I10.html", "hcpcs-E0601.txt"],
}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        source = work / "src"
        source.mkdir()
        archive = subprocess.run(["git", "archive", COMMIT], cwd=ROOT, check=True, capture_output=True)
        subprocess.run(["tar", "-x", "-C", str(source)], input=archive.stdout, check=True)
        index = work / "index"
        for run, names in RUNS.items():
            pages = work / "pages" / run
            pages.mkdir(parents=True)
            for name in names:
                shutil.copy(EXAMPLES / name, pages / name)
            # cwd first on sys.path: `medcodes` is that commit's medcodes.py, not this checkout's.
            code = "import sys, medcodes; sys.argv[0] = 'medcodes'; medcodes.main()"
            subprocess.run(
                [sys.executable, "-c", code, "ingest", str(pages), "--index", str(index), "-q"],
                cwd=source,
                check=True,
            )
        live = (index / "CURRENT").read_text(encoding="ascii").strip()
        OUT.parent.mkdir(parents=True, exist_ok=True)
        with tarfile.open(OUT, "w:gz") as tar:
            tar.add(index / "CURRENT", arcname="CURRENT")
            tar.add(index / live, arcname=live)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
