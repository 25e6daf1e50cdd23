"""Write queries/data/drug_brands.tsv: brand names -> generic drug words, from CMS public files.

Brands come from the CMS ASP NDC-HCPCS crosswalk (drug name per HCPCS code); the generic words
come from the CMS HCPCS long description of the same code, minus the words that many HCPCS
descriptions share ("injection", "mg", "per", "excludes"…). The crosswalk's short descriptors
are not used: they are the abbreviated text that claims (and the evaluation queries) carry.

    python bench/make_drug_brands.py --crosswalk ../shared/data/drugs/ndc_hcpcs_crosswalk_oct2025_level2.csv \
        --hcpcs ../shared/data/hcpcs/hcpcs_2025_oct_codes.csv --out queries/data/drug_brands.tsv
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

# A word in at least this many HCPCS descriptions is form, unit or packaging, not a drug name.
COMMON_DF = 25
_WORD = re.compile(r"[a-z][a-z0-9-]*[a-z0-9]|[a-z]")
_CODE = re.compile(r"[a-v]\d{4}")

HEADER = """# Brand (trade) drug names -> generic drug words.
# Source: CMS ASP NDC-HCPCS crosswalk, October 2025 (Level II rows): brand name per HCPCS code;
# generic words from the CMS HCPCS October 2025 long description of that code, without the
# words shared by many descriptions. Public domain (US federal government works).
# Regenerate with bench/make_drug_brands.py. Columns: brand <TAB> generic words[|other generic]
"""


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def build(crosswalk: Path, hcpcs: Path) -> dict[str, list[str]]:
    with hcpcs.open(newline="", encoding="utf-8") as handle:
        descriptions = {row["code"]: row["long_description"] for row in csv.DictReader(handle)}
    df = Counter(w for text in descriptions.values() for w in set(words(text)))
    brands: dict[str, list[str]] = defaultdict(list)
    with crosswalk.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            brand = " ".join(re.sub(r"\(.*?\)", " ", row["drug_name"]).lower().split())
            description = descriptions.get(row["hcpcs"], "")
            generic = " ".join(
                w
                for w in words(description)
                if df[w] < COMMON_DF and not w[0].isdigit() and not _CODE.fullmatch(w)
            )
            if not brand or not generic or generic == brand or brand in generic.split():
                continue
            if generic not in brands[brand]:
                brands[brand].append(generic)
    return dict(sorted(brands.items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--crosswalk", type=Path, required=True)
    parser.add_argument("--hcpcs", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    brands = build(args.crosswalk, args.hcpcs)
    with args.out.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        for brand, generics in brands.items():
            out.write(f"{brand}\t{'|'.join(generics)}\n")
    print(f"wrote {len(brands)} brands to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
