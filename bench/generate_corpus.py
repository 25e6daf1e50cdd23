"""Generate N seed-like code pages, deterministically, for benchmarks and tests.

Each page has the structure of the one real scraped page we hold (examples/pages/hcpcs-C9028.txt):
title, system line, "Name of the Procedure", then every section filled with labelled items,
3-5 KB in all. Codes and titles are real (CMS HCPCS, CDC ICD-10-CM, CMS ICD-10-PCS; public
domain). Section text is drawn from a vocabulary built from those titles plus common English
words, with Zipf-like frequencies, so term statistics look like real text. Pages are rendered as
text or HTML (alternating), in folders by system and first character.

    python bench/generate_corpus.py 50000 /tmp/corpus                  # data from ../shared/data
    python bench/generate_corpus.py 200 /tmp/small --data bench/data   # the excerpt shipped here

The same N, seed and data always give the same files, byte for byte.
"""

from __future__ import annotations

import argparse
import csv
import html
import json
import random
import re
import sys
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from medcodes.pipeline.codes import fits_system  # noqa: E402

DEFAULT_DATA = HERE.parent.parent / "shared" / "data"
FALLBACK_DATA = HERE / "data"
HCPCS_FILE = "hcpcs/hcpcs_2025_oct_codes.csv"
ICD10CM_FILE = "icd10cm/icd10cm_2026_codes.jsonl"
ICD10PCS_FILE = "icd10pcs/icd10pcs_codes.csv"
# Share of each system in a corpus (capped by the codes available).
SYSTEM_SHARES = (("hcpcs", 0.15), ("icd10cm", 0.45), ("icd10pcs", 0.40))
SYSTEM_LINES = {"hcpcs": "HCPCS code", "icd10cm": "ICD-10-CM code", "icd10pcs": "ICD-10-PCS code"}
ZIPF_EXPONENT = 1.05
TOPIC_SHARE = 0.15  # of a page's words drawn from its own title's words
TARGET_BYTES = (3000, 5000)

# Sections in page order, with the labels of their items (None: a plain paragraph).
SECTIONS: tuple[tuple[str, tuple[str, ...] | None], ...] = (
    ("Summary", None),
    ("Purpose", ("Medical Conditions", "Goals")),
    ("Indications", ("Symptoms/Conditions", "Patient Criteria")),
    ("Preparation", ("Pre-Procedure Instructions", "Diagnostic Tests")),
    (
        "Procedure Description",
        (
            "Initial Assessment",
            "Positioning",
            "Main Step",
            "Monitoring",
            "Tools/Equipment",
            "Anesthesia/Sedation",
        ),
    ),
    ("Duration", None),
    ("Setting", None),
    ("Personnel", ("Healthcare Professionals",)),
    ("Risks and Complications", ("Common Risks", "Rare Risks")),
    ("Benefits", ("Expected Benefits", "Timeframe for Benefits")),
    ("Recovery", ("Post-Procedure Care", "Recovery Time", "Restrictions/Follow-Up")),
    ("Alternatives", ("Other Treatments", "Pros and Cons")),
    ("Patient Experience", ("During Procedure", "After Procedure")),
)

# Common English words, most frequent first, that glue medical terms into sentences.
# fmt: off
FUNCTION_WORDS = (
    "the", "and", "of", "to", "a", "in", "is", "for", "with", "that", "be", "may", "are", "or", "as",
    "on", "by", "this", "it", "patient", "patients", "from", "at", "an", "can", "which", "their", "will",
    "should", "after", "before", "during", "not", "have", "has", "been", "most", "some", "other", "also",
    "into", "any", "these", "more", "than", "often", "usually", "typically", "each", "within", "under",
    "about", "procedure", "treatment", "care", "condition", "risk", "health", "doctor", "nurse", "hours",
    "days", "weeks", "time", "blood", "pain", "test", "tests", "area", "body", "medical", "clinical",
    "used", "using", "help", "reduce", "improve", "monitor", "need",
)
# fmt: on
_WORD = re.compile(r"[a-z][a-z'-]{2,}")


@dataclass(frozen=True)
class Code:
    system: str
    code: str
    title: str


def load_codes(data: Path) -> dict[str, list[Code]]:
    """Real codes and titles, per system, in file order.

    Codes whose shape medcodes does not recognize yet are left out (the parser would reject
    their pages): ICD-10-CM's "QA0.x" codes and all-letter ICD-10-PCS codes such as GZGZZZZ.
    """
    codes: dict[str, list[Code]] = {"hcpcs": [], "icd10cm": [], "icd10pcs": []}
    with open(data / HCPCS_FILE, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["kind"] == "procedure" and row["active"] == "1":
                codes["hcpcs"].append(Code("hcpcs", row["code"], row["long_description"]))
    with open(data / ICD10CM_FILE, encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            if row.get("billable"):
                codes["icd10cm"].append(Code("icd10cm", row["code_dot"], row["description"]))
    with open(data / ICD10PCS_FILE, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            codes["icd10pcs"].append(Code("icd10pcs", row["code"], row["long_description"]))
    return {system: [c for c in found if fits_system(c.code, system)] for system, found in codes.items()}


class Vocabulary:
    """Glue words, then medical words ranked by how often code titles use them, drawn Zipf-like.

    A medical word's rank in the titles is not its frequency in prose ("fracture" heads the
    titles), so the medical words follow all the glue words in the ranking, and each page also
    draws TOPIC_SHARE of its words from its own title: a page about a fracture says "fracture"
    often, other pages rarely do, as in real pages.
    """

    def __init__(self, titles: list[str]) -> None:
        counts = Counter(w for title in titles for w in _WORD.findall(title.lower()))
        medical = [w for w, _ in counts.most_common(6000) if w not in FUNCTION_WORDS]
        self.words = list(FUNCTION_WORDS) + medical
        weights = [1 / (rank + 1) ** ZIPF_EXPONENT for rank in range(len(self.words))]
        self.cumulative = list(accumulate(weights))

    def draw(self, rng: random.Random, n: int, topic: list[str] | None = None) -> list[str]:
        total = self.cumulative[-1]
        return [
            rng.choice(topic)
            if topic and rng.random() < TOPIC_SHARE
            else self.words[bisect_left(self.cumulative, rng.random() * total)]
            for _ in range(n)
        ]


def pick_codes(codes: dict[str, list[Code]], n: int, rng: random.Random) -> list[Code]:
    """N distinct codes, spread over the systems by SYSTEM_SHARES."""
    chosen: list[Code] = []
    remaining = n
    for i, (system, share) in enumerate(SYSTEM_SHARES):
        want = remaining if i == len(SYSTEM_SHARES) - 1 else min(round(n * share), len(codes[system]))
        want = min(want, len(codes[system]))
        chosen.extend(rng.sample(codes[system], want))
        remaining -= want
    if remaining > 0:
        raise SystemExit(f"only {n - remaining} codes available, asked for {n}")
    return chosen


def sentence(vocab: Vocabulary, rng: random.Random, topic: list[str], lo: int = 9, hi: int = 22) -> str:
    words = vocab.draw(rng, rng.randint(lo, hi), topic)
    if len(words) > 8:
        words[rng.randint(3, len(words) - 3)] += ","
    text = " ".join(words)
    return text[0].upper() + text[1:] + "."


def page_sections(
    code: Code, vocab: Vocabulary, rng: random.Random
) -> list[tuple[str, list[tuple[str, str]]]]:
    """(heading, [(label, text)]) for every section; label "" for a plain paragraph."""
    target = rng.randint(*TARGET_BYTES) - len(code.title) * 2 - 200
    per_item = max(target // 60, 40)
    topic = [w for w in _WORD.findall(code.title.lower()) if w not in FUNCTION_WORDS]
    sections = []
    for heading, labels in SECTIONS:
        items: list[tuple[str, str]] = []
        for label in labels or ("",):
            parts: list[str] = []
            while sum(len(p) + 1 for p in parts) < per_item:
                parts.append(sentence(vocab, rng, topic))
            items.append((label, " ".join(parts)))
        sections.append((heading, items))
    # The summary names what the code is, so that the title's words are in the text too.
    summary = f"This page describes {code.title.lower()}. {sections[0][1][0][1]}"
    sections[0] = ("Summary", [("", summary)])
    return sections


def render_text(code: Code, sections: list[tuple[str, list[tuple[str, str]]]], name: str) -> str:
    lines = ["Search all medical codes", code.title, SYSTEM_LINES[code.system], "Name of the Procedure:"]
    lines.append(f"{name} ({code.code}).")
    for heading, items in sections:
        lines.append(heading)
        lines.extend(f"- {label}: {text}" if label else text for label, text in items)
    return "\n".join(lines) + "\n"


def render_html(code: Code, sections: list[tuple[str, list[tuple[str, str]]]], name: str) -> str:
    e = html.escape
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        f'<head><meta charset="utf-8"><title>{e(code.title)} | Medical codes</title></head>',
        "<body>",
        '<header><nav><a href="/">Search all medical codes</a></nav></header>',
        "<main>",
        f"<h1>{e(code.title)}</h1>",
        f'<p class="code-system">{SYSTEM_LINES[code.system]}</p>',
        "<h2>Name of the Procedure:</h2>",
        f"<p>{e(name)} ({e(code.code)}).</p>",
    ]
    for heading, items in sections:
        out.append(f"<h2>{e(heading)}</h2>")
        if items[0][0]:
            out.append("<ul>")
            out.extend(f"<li><strong>{e(label)}:</strong> {e(text)}</li>" for label, text in items)
            out.append("</ul>")
        else:
            out.extend(f"<p>{e(text)}</p>" for _, text in items)
    out += ["</main>", "<footer><p>Medical codes reference</p></footer>", "</body>", "</html>"]
    return "\n".join(out) + "\n"


def page_path(out: Path, code: Code, html_page: bool) -> Path:
    suffix = "html" if html_page else "txt"
    return out / code.system / code.code[0] / f"{code.system}-{code.code}.{suffix}"


def generate(n: int, out: Path, data: Path, seed: int = 0) -> list[Path]:
    """Write N pages under `out`; returns their paths in generation order."""
    rng = random.Random(seed)
    codes = load_codes(data)
    vocab = Vocabulary([c.title for system in codes.values() for c in system])
    written = []
    for i, code in enumerate(pick_codes(codes, n, rng)):
        page_rng = random.Random(f"{seed}:{code.system}:{code.code}")
        sections = page_sections(code, vocab, page_rng)
        name = f"{code.title}, also described as {' '.join(vocab.draw(page_rng, 4))}"
        html_page = i % 2 == 1
        path = page_path(out, code, html_page)
        path.parent.mkdir(parents=True, exist_ok=True)
        text = render_html(code, sections, name) if html_page else render_text(code, sections, name)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("count", type=int, help="number of pages")
    parser.add_argument("out", type=Path, help="output folder (created)")
    parser.add_argument("--data", type=Path, help="code-set data folder [../shared/data, else bench/data]")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    data = args.data or (DEFAULT_DATA if (DEFAULT_DATA / HCPCS_FILE).exists() else FALLBACK_DATA)
    paths = generate(args.count, args.out, data, args.seed)
    size = sum(p.stat().st_size for p in paths)
    print(
        f"{len(paths)} pages, {size / len(paths):.0f} bytes each on average, in {args.out}", file=sys.stderr
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
