"""Write the container fixtures in tests/pages/containers from the page fixtures beside them.

Run once after changing a page they pack (`.venv/bin/python tests/make_container_fixtures.py`),
then regenerate their golden outcomes. Timestamps and record ids are fixed so that the files
are byte-stable.
"""

from __future__ import annotations

import gzip
import io
import json
import tarfile
import zipfile
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

PAGES = Path(__file__).resolve().parent / "pages"
OUT = PAGES / "containers"
SITE = "medcodes.example/code"
DATE = "2026-11-02T10:00:00Z"
TYPE = "text/html"


def page(path: str) -> bytes:
    return (PAGES / path).read_bytes()


def write_warc() -> None:
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    number = 0

    def record(
        url: str, kind: str, body: bytes, status: str = "200 OK", content_type: str = "text/html"
    ) -> None:
        nonlocal number
        number += 1
        headers = StatusAndHeaders(status, [("Content-Type", content_type)], protocol="HTTP/1.1")
        warc_headers = {
            "WARC-Date": DATE,
            "WARC-Record-ID": f"<urn:uuid:00000000-0000-0000-0000-{number:012d}>",
        }
        writer.write_record(
            writer.create_warc_record(
                url,
                kind,
                payload=io.BytesIO(body),
                http_headers=headers if kind == "response" else None,
                warc_headers_dict=warc_headers,
            )
        )

    c9028 = f"https://{SITE}/hcpcs/C9028-injection-inotuzumab-ozogamicin-0-1-mg"
    record(c9028, "response", page("html/hcpcs-C9028.html"))
    record(f"https://{SITE}/static/site.css", "response", b"body{margin:0}", content_type="text/css")
    # The same page fetched again over http: one document, one duplicate.
    record(c9028.replace("https:", "http:"), "response", page("html/hcpcs-C9028.html"))
    record(
        f"https://{SITE}/hcpcs/E9999-missing", "response", page("rejects/404.html"), status="404 Not Found"
    )
    # A CPT page without a canonical link: the code is only in the record's URL.
    no_canonical = page("html-structures/saved-page-0413.html")
    record(
        f"https://{SITE}/cpt4/45380-colonoscopy-flexible-with-biopsy-single-or-multiple",
        "response",
        no_canonical,
    )
    # Windows-1252 bytes whose charset is only in the HTTP header.
    cp1252 = page("html/icd10cm-J06.9.html").decode("utf-8").replace('<meta charset="utf-8">', "")
    cp1252 = cp1252.replace("infection of the upper airway", "infection of the upper airway – nose, throat –")
    record(
        f"https://{SITE}/icd10cm/J06.9-acute-upper-respiratory-infection-unspecified",
        "response",
        cp1252.encode("cp1252"),
        content_type="text/html; charset=windows-1252",
    )
    complete = buffer.getvalue()
    record(f"https://{SITE}/hcpcs/E0100-cane", "response", page("html/hcpcs-E0100.html"))
    # The crawler was killed while writing the last record: it ends half-way.
    last = buffer.getvalue()[len(complete) :]
    (OUT / "crawl.warc.gz").write_bytes(complete + last[: len(last) // 2])


def write_jsonl() -> None:
    lines = [
        json.dumps(
            {"url": f"https://{SITE}/icd10cm/J06.9", "markdown": page("markdown/icd10cm-J06.9.md").decode()}
        ),
        json.dumps(
            {
                "url": f"https://{SITE}/icd10pcs/0DTJ4ZZ",
                "text": page("single-newline/icd10pcs-0DTJ4ZZ.txt").decode(),
            }
        ),
        "",
        json.dumps({"url": f"https://{SITE}/hcpcs/E0100", "html": page("html/hcpcs-E0100.html").decode()}),
        '{"url": "https://medcodes.example/code/hcpcs/A4253", "text": "Search all medical codes\\nBlood gl',
        json.dumps({"url": f"https://{SITE}/hcpcs/A4253", "status": 200}),
        json.dumps(["not", "an", "object"]),
        # CPT: the code is only in the URL.
        json.dumps(
            {
                "url": f"https://{SITE}/cpt4/45380",
                "text": page("breadcrumb/saved-page-0412.txt").decode().split("\n", 1)[1],
            }
        ),
    ]
    (OUT / "export.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_zip() -> None:
    with zipfile.ZipFile(OUT / "pages.zip", "w", compression=zipfile.ZIP_DEFLATED) as archive:

        def add(name: str, data: bytes) -> None:
            archive.writestr(
                zipfile.ZipInfo(name, date_time=(2026, 11, 2, 10, 0, 0)), data, zipfile.ZIP_DEFLATED
            )

        add("hcpcs/", b"")
        add("hcpcs/hcpcs-C9028.txt", page("blank-lines/hcpcs-C9028.txt"))
        add("cpt4/cpt4-45380.txt.gz", gzip.compress(page("single-newline/cpt4-45380.txt"), mtime=0))
        add("__MACOSX/hcpcs/._hcpcs-C9028.txt", b"\x00\x05\x16\x07" + bytes(60))
        add("notes.txt", page("rejects/notes.txt"))


def write_tar() -> None:
    with (
        gzip.GzipFile(OUT / "pages.tar.gz", "wb", mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w") as archive,
    ):
        for name, path in [
            ("renderings/icd10cm-J06.9.txt", "blank-lines/icd10cm-J06.9.txt"),
            ("renderings/hcpcs-E0100.md", "markdown/hcpcs-E0100.md"),
            ("renderings/.hidden.txt", "blank-lines/icd10cm-J06.9.txt"),
            ("renderings/icd10pcs-0DTJ4ZZ.txt", "headless/icd10pcs-0DTJ4ZZ.txt"),
        ]:
            data = page(path)
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 0
            archive.addfile(info, io.BytesIO(data))


if __name__ == "__main__":
    OUT.mkdir(exist_ok=True)
    write_warc()
    write_jsonl()
    write_zip()
    write_tar()
