"""Write queries/data/counterparts.tsv: each ICD-10-CM neoplasm code -> the codes of the same
site under the other behaviours (malignant primary, secondary, in situ, benign, uncertain,
unspecified), and each external cause code -> the codes of the same object under the other
intents (accident, self-harm, assault, undetermined, legal intervention), from the public
ICD-10-CM tabular list alone.

ICD-10-CM classifies a neoplasm by behaviour first (blocks C00-C75, C77-C79, D00-D09, D10-D36,
D37-D48, D49) and by site within each block, with finer sites under primary malignancy than
under the others: "pylorus" is C16.4, but in situ it is "stomach" (D00.2), secondary "other
digestive organs" (C78.89). External causes likewise: "contact with hotplate" (X15.2) is, as
self-harm, "hot household appliances" (X77.3). So a code's counterpart in another block is
found by climbing its hierarchy — the code, its parents, its category, then (for a primary
neoplasm) its block's organ system (the block titles below, from the tabular list) — until a
code of the other block names a site whose words the climbed level names too; a site no level
finds goes to that block's residual ("other specified sites", "other specified means"), as the
classification sends unlisted sites there.

    python bench/make_counterparts.py --icd10cm ../shared/data/icd10cm/icd10cm_2026_codes.jsonl \
        --out queries/data/counterparts.tsv
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from medcodes.index.engine.analysis import text_terms
from medcodes.pipeline.codes import ICD10CM
from medcodes.queries.icd10cm.behaviour import PRIMARY, code_behaviour
from medcodes.queries.icd10cm.intent import code_intent

# Block titles of ICD-10-CM chapter 2 (Neoplasms), as printed in the FY2026 tabular list: the
# organ system each primary block covers is what its sites share under the other behaviours.
BLOCK_TITLES = {
    "C00-C14": "Malignant neoplasms of lip, oral cavity and pharynx",
    "C15-C26": "Malignant neoplasms of digestive organs",
    "C30-C39": "Malignant neoplasms of respiratory and intrathoracic organs",
    "C40-C41": "Malignant neoplasms of bone and articular cartilage",
    "C43-C44": "Melanoma and other malignant neoplasms of skin",
    "C45-C49": "Malignant neoplasms of mesothelial and soft tissue",
    "C50": "Malignant neoplasms of breast",
    "C51-C58": "Malignant neoplasms of female genital organs",
    "C60-C63": "Malignant neoplasms of male genital organs",
    "C64-C68": "Malignant neoplasms of urinary tract",
    "C69-C72": "Malignant neoplasms of eye, brain and other parts of central nervous system",
    "C73-C75": "Malignant neoplasms of thyroid and other endocrine glands",
}
# Words of a title that say behaviour, morphology, intent or residue, not site or object.
_NOT_SITE_TEXT = (
    "malignant neoplasm neoplasms carcinoma in situ secondary benign behavior uncertain "
    "unspecified other specified site sites part parts ill defined overlapping lesion "
    "melanoma tumor tumors and of the right left without specification "
    "accidental intentional self-harm assault undetermined intent contact exposure means "
    "legal intervention injured"
)
# A target sharing two or more site words with a level, and this share of each one's words.
PARTIAL_SHARE = 0.6


def analyze(text: str) -> frozenset[str]:
    return frozenset(text_terms(text))


NOT_SITE_TERMS = analyze(_NOT_SITE_TEXT)


def site_terms(title: str) -> frozenset[str]:
    """The site words of a neoplasm title: "Carcinoma in situ of liver, gallbladder and bile
    ducts" -> liver, gallbladd, bile, duct."""
    return analyze(title) - NOT_SITE_TERMS


def is_residual(title: str) -> bool:
    """An "other specified sites" code: it names no site of its own."""
    return not site_terms(title) and "other" in title.lower()


def build(rows: list[dict]) -> dict[str, list[str]]:
    """Counterparts of the neoplasm codes across behaviours and of the external cause codes
    across intents (codes with a generated 7th character are left out: their parents stand
    for them)."""
    by_code = {r["code"]: r for r in rows}
    counterparts: dict[str, list[str]] = {}
    for chapter, block_of in (("2", code_behaviour), ("20", code_intent)):
        coded = [
            (r, block)
            for r in rows
            if r["chapter"] == chapter
            and not r.get("generated_7th")
            and (block := block_of(ICD10CM, r["code"]))
        ]
        blocks: dict[str, list[dict]] = {}
        for row, block in coded:
            blocks.setdefault(block, []).append(row)
        for row, own in coded:
            found = [
                code
                for other, targets in blocks.items()
                if other != own
                for code in _counterparts(_levels(row, own, by_code), targets)
            ]
            if found:
                counterparts[row["code_dot"]] = found
    return counterparts


def _levels(row: dict, own: str, by_code: dict[str, dict]) -> list[frozenset[str]]:
    """The site words of a code, then of each category above it, then of its block."""
    levels = [site_terms(row["description"])]
    parent = row.get("parent")
    while parent:
        levels.append(site_terms(by_code[parent]["description"]))
        parent = by_code[parent].get("parent")
    if own == PRIMARY and row["block"] in BLOCK_TITLES:
        levels.append(site_terms(BLOCK_TITLES[row["block"]]))
    return [level for level in levels if level]


def _counterparts(levels: list[frozenset[str]], targets: list[dict]) -> list[str]:
    """The targets that the lowest possible level fits; else the behaviour's residuals.

    A level fits the targets whose site words it names all of ("stomach" for C16's "stomach")
    or, failing that, shares most words with, two at least ("liver, gallbladder and bile ducts"
    for "liver and intrahepatic bile ducts").
    """
    for level in levels:
        whole, most = [], []
        for target in targets:
            terms = site_terms(target["description"])
            shared = len(terms & level)
            if terms and shared == len(terms):
                whole.append((shared, target["code_dot"]))
            elif shared >= 2 and shared / max(len(terms), len(level)) >= PARTIAL_SHARE:
                most.append((shared, target["code_dot"]))
        if fitting := whole or most:
            return sorted(code for _, code in fitting)
    return sorted(t["code_dot"] for t in targets if is_residual(t["description"]))


HEADER = """# ICD-10-CM neoplasm codes -> the codes of the same site under the other behaviours, and
# external cause codes -> the codes of the same object under the other intents.
# Source: CDC/NCHS ICD-10-CM FY2026 tabular list (titles, parents, blocks; public domain),
# mapped by bench/make_counterparts.py (a site climbs its hierarchy, up to a primary block's
# organ system, until another block names it; else that block's "other specified" residual).
# Columns: code <TAB> counterpart|counterpart...
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--icd10cm", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    with args.icd10cm.open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    table = build(rows)
    lines = [f"{code}\t{'|'.join(others)}" for code, others in sorted(table.items())]
    args.out.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(table)} codes -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
