"""Pages for the browser tests of the search page, written for them (no scraped text).

A family of walker pages (enough to fill more than one page of results), pages in other code
systems that mention walking aids (so a search has facets to filter by), and one hostile page
whose title, sections and url carry HTML and script payloads: the page must show them as text
and run none of them. Every payload sets `window.xssRan` (or calls alert), which a test checks.
"""

from __future__ import annotations

import json
from pathlib import Path

HOST = "medcodes.example"
# The flag every payload would set if the page ever ran it.
XSS_FLAG = "xssRan"
SCRIPT_PAYLOAD = f"<script>window.{XSS_FLAG}=1</script>"
IMG_PAYLOAD = f'"><img src=x onerror="window.{XSS_FLAG}=2;alert(2)">'
JAVASCRIPT_URL = f"javascript:window.{XSS_FLAG}=3;alert(3)//https://{HOST}/code/hcpcs/A7999"
XSS_CODE = ("hcpcs", "A7999")

# (code, frame, wheels, use): twelve walkers told apart by frame, wheels and who they suit.
WALKERS = [
    ("E0130", "rigid", "no wheels", "people who need the most support while standing"),
    ("E0135", "folding", "no wheels", "people who travel and store the frame in a car"),
    ("E0140", "rigid", "two front wheels", "people who cannot lift the frame at every step"),
    ("E0141", "rigid", "two front wheels and glides", "use on carpet as well as smooth floors"),
    ("E0143", "folding", "two front wheels", "people recovering from hip or knee surgery"),
    ("E0144", "enclosed", "four wheels and a seat", "long walks with rests on the way"),
    ("E0147", "heavy duty", "multiple braking wheels", "people who need a brake on every wheel"),
    ("E0148", "heavy duty", "no wheels", "users who weigh more than three hundred pounds"),
    ("E0149", "heavy duty", "two front wheels", "larger users who cannot lift the frame"),
    ("E0154", "platform", "an armrest attachment", "people who cannot bear weight on a wrist"),
    ("E0155", "wheel", "a wheel attachment", "turning a pickup frame into a rolling one"),
    ("E0156", "seat", "a seat attachment", "resting halfway through a walk"),
]


def _walker_page(code: str, frame: str, wheels: str, use: str) -> str:
    return f"""Walker, {frame}, with {wheels}
HCPCS code
Name of the Procedure:
Supply of a {frame} walker with {wheels} ({code}).
Summary
A {frame} walker is a metal walking frame with {wheels}. The user holds its handgrips and moves \
it forward a little at a time, taking weight off the legs.
Purpose
- Medical Conditions: weak legs, poor balance, and recovery after a fall or an operation.
- Goals: safer walking at home and outdoors for {use}.
Indications
- Symptoms/Conditions: unsteady gait, frequent falls, or pain when standing on one leg.
Procedure Description
- Fitting: a therapist sets the handgrip height at the wrist crease and shows how to step into the frame.
Risks and Complications
- Common Risks: tripping on the frame, sore wrists.
Recovery
- Restrictions/Follow-Up: the frame is checked for loose rubber tips at every visit.
"""


GAIT_TRAINING = """Gait training therapy, each 15 minutes
CPT code
Name of the Procedure:
Therapeutic gait training, including stair climbing (97116).
Summary
A physical therapist teaches a patient to walk again, often first between parallel bars and then \
with a walker or a cane, correcting the length and rhythm of each step.
Purpose
- Goals: a steady, safe walk without a walking frame where possible.
Indications
- Symptoms/Conditions: weakness after a stroke, a hip replacement, or a long stay in bed.
Risks and Complications
- Common Risks: tiredness, a fall during practice.
"""

UNSTEADY = """Unsteadiness on feet
ICD-10-CM code
Name of the Condition:
Unsteadiness on feet (R26.81).
Summary
A feeling of being about to lose balance while standing or walking, without a named cause.
Causes
Weak leg muscles, inner ear trouble, some medicines.
Treatment Options
Balance exercises, a cane or a walker, and a review of the medicines taken.
"""

HOSTILE = f"""Nebulizer kit {SCRIPT_PAYLOAD} {IMG_PAYLOAD}
HCPCS code
Name of the Procedure:
Nebulizer kit with tubing and mouthpiece ({XSS_CODE[1]}) {IMG_PAYLOAD}
Summary
A nebulizer kit turns a liquid medicine into a mist {SCRIPT_PAYLOAD} that is breathed in through a \
mouthpiece or a mask.
Purpose
- Medical Conditions: asthma and other airway disease.
Indications
- Symptoms/Conditions: patients who cannot use a hand-held inhaler well.
Risks and Complications
- Common Risks: a cough; see {JAVASCRIPT_URL} for more.
"""


def write_pages(folder: Path) -> Path:
    """Writes the pages under `folder` as the site mirrors them, the hostile one as a JSONL export."""
    site = folder / HOST / "code"
    for code, frame, wheels, use in WALKERS:
        slug = f"{code}-walker-{frame.replace(' ', '-')}"
        _write(site / "hcpcs" / f"{slug}.txt", _walker_page(code, frame, wheels, use))
    _write(site / "cpt4" / "97116-gait-training.txt", GAIT_TRAINING)
    _write(site / "icd10cm" / "R26.81-unsteadiness-on-feet.txt", UNSTEADY)
    # A JSONL export is the input whose url field is taken as written: a javascript: URL.
    record = {"url": JAVASCRIPT_URL, "text": HOSTILE}
    _write(folder / "export.jsonl", json.dumps(record) + "\n")
    return folder


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
