"""The names under which an index's files find the classes Whoosh pickled into them.

Whoosh pickles the schema's field types (StemmedText, CompactPositions) and each segment's
codec (Protocol4Codec) into the TOC by module path and class name, so those names are part of
the index format. Each of these classes says `__module__ = "medcodes.index.pickled"` and is
importable from here wherever it is defined: code can move without breaking any index. Never
rename this module or a name in it; a class that leaves the format stays here for old indexes.

OLD_NAMES are the paths that indexes written before this module (up to 34b9464, when the
packages were top-level `index`, `queries`, `pipeline`) name; index/engine/opening.py reads them.
"""

from __future__ import annotations

from medcodes.index.engine.block_codec import Protocol4Codec
from medcodes.index.engine.text_fields import CompactPositions, StemmedText

OLD_NAMES: dict[tuple[str, str], type] = {
    ("index.text_fields", "StemmedText"): StemmedText,
    ("index.text_fields", "CompactPositions"): CompactPositions,
    ("index.block_codec", "Protocol4Codec"): Protocol4Codec,
}

__all__ = ["OLD_NAMES", "CompactPositions", "Protocol4Codec", "StemmedText"]
