"""The command-line arguments every judged-query bench script shares."""

from __future__ import annotations

import argparse
from pathlib import Path


def judged_query_parser(doc: str | None) -> argparse.ArgumentParser:
    """qrels files, --index, --every (a sample) and --k, described by the script's docstring."""
    parser = argparse.ArgumentParser(description=(doc or "").split("\n\n")[0])
    parser.add_argument("qrels", nargs="+", type=Path)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--every", type=int, default=1, help="use every n-th query (faster)")
    parser.add_argument("--k", type=int, default=10)
    return parser
