"""Read any official code-set file: pick its reader from its first lines, name its release.

Example:
    >>> release, entries = read_code_set("hcpcs_2025_oct_codes.csv")  # doctest: +SKIP
    >>> release.version, next(entries).code  # doctest: +SKIP
    ('2025-Q4', 'A1')
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from medcodes.pipeline.codesets import hcpcs_csv, icd10cm_jsonl, icd10pcs_csv
from medcodes.pipeline.codesets.entry import CodeSetEntry, CodeSetRelease
from medcodes.pipeline.codesets.formats import HEAD_CHARS, CodeSetFormat
from medcodes.pipeline.codesets.problems import CodeSetFileError, OnBadRow, log_bad_row
from medcodes.pipeline.codesets.release import release_from_file
from medcodes.pipeline.sources import InputReadError, gunzip_page, open_regular

# Far above any official release (the largest, ICD-10-CM as JSON lines, is about 25 MB).
MAX_CODE_SET_BYTES = 512 * 1024 * 1024

# Tried in order; the first whose `matches` accepts the file's head reads it. HCPCS comes before
# PCS: both have code and long_description columns.
FORMATS: tuple[CodeSetFormat, ...] = (hcpcs_csv.FORMAT, icd10cm_jsonl.FORMAT, icd10pcs_csv.FORMAT)


def read_code_set(
    path: str | Path, on_bad_row: OnBadRow = log_bad_row, loaded: str | None = None
) -> tuple[CodeSetRelease, Iterator[CodeSetEntry]]:
    """The release a file holds and its entries (a stream; bad rows go to `on_bad_row`).

    Raises CodeSetFileError when the file cannot be read or is of no known format.
    """
    path = Path(path)
    text = read_text(path)
    code_set_format = detect_format(text, path.name)
    release = release_from_file(path.name.removesuffix(".gz"), code_set_format.system, loaded)
    return release, code_set_format.read(text, release, on_bad_row)


def detect_format(text: str, file: str = "") -> CodeSetFormat:
    """The format whose test accepts the text's head; CodeSetFileError when none does."""
    head = text[:HEAD_CHARS]
    for code_set_format in FORMATS:
        if code_set_format.matches(head):
            return code_set_format
    known = ", ".join(f.name for f in FORMATS)
    raise CodeSetFileError(f"{file or 'input'}: not a known code-set format (one of {known})")


def read_text(path: Path, max_bytes: int = MAX_CODE_SET_BYTES) -> str:
    """The file's text: UTF-8 (with or without BOM), else Windows-1252 as older CMS files are;
    gunzipped first when it is gzip. Bounded: a code-set file (about 25 MB for the largest
    release) is refused past `max_bytes`, a gzip bomb as soon as it passes them."""
    if path.is_dir():
        raise CodeSetFileError(f"{path}: is a folder, not a code-set file")
    if not path.exists():
        raise CodeSetFileError(f"{path}: no such file")
    try:
        with open_regular(str(path)) as handle:  # a FIFO or a device is refused, not read forever
            data = handle.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise CodeSetFileError(f"{path}: larger than {max_bytes} bytes, not a code-set file")
        data = gunzip_page(data, max_bytes)
    except InputReadError as error:
        raise CodeSetFileError(f"{path}: cannot be read ({error})") from None
    except FileNotFoundError:
        raise CodeSetFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CodeSetFileError(f"{path}: is a folder, not a code-set file") from None
    except (OSError, EOFError) as error:
        raise CodeSetFileError(f"{path}: cannot be read ({error})") from None
    if b"\0" in data[:HEAD_CHARS]:
        raise CodeSetFileError(f"{path}: not a text file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")
