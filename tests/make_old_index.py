"""Build tests/old_index/<commit>.tar.gz: an index written by an earlier commit, which
tests/test_old_index.py reads with today's code.

- 34b9464: the last release whose packages were top-level (`index`, `queries`, `pipeline`), so
  its TOC pickles classes by those module paths.
- 39ac0ee: main before Whoosh moved behind medcodes.index.engine (issue 13 §2); its TOC pickles
  the stable names of `medcodes.index.pickled`.

    python tests/make_old_index.py 39ac0ee   # from a git checkout; needs the dependencies installed

Six of our own example pages, ingested in two runs (two segments, two folders recorded).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "pages"
RUNS = {
    "a": ["hcpcs-C9028.txt", "hcpcs-J9229.txt", "icd10cm-E11.9.txt", "cpt4-93000.html"],
    "b": ["icd10cm-I10.html", "hcpcs-E0601.txt"],
}
# How each commit's CLI is started. cwd is first on sys.path, so `medcodes` is that commit's
# (its medcodes.py, or its medcodes package), not this checkout's.
COMMITS = {
    "34b9464": "import sys, medcodes; sys.argv[0] = 'medcodes'; medcodes.main()",
    "39ac0ee": "import sys, medcodes.cli; sys.argv[0] = 'medcodes'; medcodes.cli.main()",
}


def build(commit: str) -> Path:
    out = ROOT / "tests" / "old_index" / f"{commit}.tar.gz"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        source = work / "src"
        source.mkdir()
        archive = subprocess.run(["git", "archive", commit], cwd=ROOT, check=True, capture_output=True)
        subprocess.run(["tar", "-x", "-C", str(source)], input=archive.stdout, check=True)
        index = work / "index"
        for run, names in RUNS.items():
            pages = work / "pages" / run
            pages.mkdir(parents=True)
            for name in names:
                shutil.copy(EXAMPLES / name, pages / name)
            subprocess.run(
                [sys.executable, "-c", COMMITS[commit], "ingest", str(pages), "--index", str(index), "-q"],
                cwd=source,
                check=True,
            )
        live = (index / "CURRENT").read_text(encoding="ascii").strip()
        out.parent.mkdir(parents=True, exist_ok=True)
        with tarfile.open(out, "w:gz") as tar:
            tar.add(index / "CURRENT", arcname="CURRENT")
            tar.add(index / live, arcname=live)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("commit", choices=sorted(COMMITS))
    print(f"wrote {build(parser.parse_args().commit)}")


if __name__ == "__main__":
    main()
