"""Copy the code-set excerpts in tests/data/codesets/ from the full public-domain releases.

The rows are chosen to cover every attribute a reader keeps: HCPCS procedure codes and modifiers,
active and terminated (with and without action code D), added and changed codes; ICD-10-CM
categories with billable children, 7th-character definitions (W21, S72, E08.32) and the placeholder
path W21.89 -> W21.89XA; ICD-10-PCS codes from several sections. CMS and CDC files are works of the
US government (public domain), so copying them is allowed; rows are copied verbatim.

Usage: python tests/make_codeset_excerpts.py DATA_DIR   (DATA_DIR holds hcpcs/, icd10cm/, icd10pcs/)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OUT = Path(__file__).parent / "data" / "codesets"

HCPCS_CODES = {
    "A1",
    "A2",
    "AM",
    "CP",
    "GD",
    "JF",  # modifiers, three terminated
    "A0021",
    "A0080",
    "A0425",
    "A0427",
    "E0100",
    "J1940",
    "J9229",
    "G0008",
    "L3000",
    "C9088",
    "C9174",
    "C9175",  # terminated, action D
}
ICD_CODES = {
    "A00",
    "A000",
    "A001",
    "A009",
    "A01",
    "A010",
    "A0100",
    "A0101",
    "A011",
    "I10",
    "E08",
    "E083",
    "E0832",
    "E08321",
    "E083211",
    "E083212",
    "E083213",
    "E083219",
    "W21",
    "W218",
    "W2189",
    "W2189XA",
    "W2189XD",
    "W2189XS",
    "S72",
    "S720",
    "S7200",
    "S72001",
    "S72001A",
    "S72001B",
    "S72001S",
}
PCS_CODES = {
    "0016070",
    "0016071",
    "0DTJ4ZZ",
    "0DTJ0ZZ",
    "02703DZ",
    "3E0234Z",
    "B2111ZZ",
    "GZ3ZZZZ",
    "XW033E5",
    "5A1955Z",
    "10D00Z1",
    "F00ZHYZ",
}


def _copy_csv(source: Path, target: Path, codes: set[str], also_terminated: int = 0) -> None:
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [lines[0]]
    for line in lines[1:]:
        code = line.split(",", 1)[0]
        if code in codes:
            kept.append(line)
    missing = codes - {line.split(",", 1)[0] for line in kept[1:]}
    if missing:
        print(f"{source.name}: not found {sorted(missing)}", file=sys.stderr)
    target.write_text("".join(kept), encoding="utf-8")


def main(data: Path) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    _copy_csv(data / "hcpcs/hcpcs_2025_oct_codes.csv", OUT / "hcpcs_2025_oct_codes.csv", HCPCS_CODES)
    _copy_csv(data / "icd10pcs/icd10pcs_codes.csv", OUT / "icd10pcs_2025_codes.csv", PCS_CODES)
    kept = []
    with (data / "icd10cm/icd10cm_2026_codes.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            if json.loads(line)["code"] in ICD_CODES:
                kept.append(line)
    (OUT / "icd10cm_2026_codes.jsonl").write_text("".join(kept), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
