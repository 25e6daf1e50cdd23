"""A page's stored record reads back as the same record, labels included."""

from __future__ import annotations

from pathlib import Path

from medcodes.index.fields import names_text
from medcodes.index.record_codec import decode_head, decode_record, encode_head, encode_record
from medcodes.pipeline.batch import parse_input
from medcodes.pipeline.records import CodePage, Label, Section
from medcodes.pipeline.sections import is_names_section
from medcodes.pipeline.sources import expand_inputs

ROOT = Path(__file__).resolve().parent.parent


def _sample_pages() -> list[CodePage]:
    files = expand_inputs([str(ROOT / "examples" / "pages"), str(ROOT / "tests" / "pages")])
    return [o.page for f in files for o in parse_input(f) if o.page is not None]


def test_every_sample_page_round_trips() -> None:
    pages = _sample_pages()
    assert len(pages) > 50
    for page in pages:
        back = decode_record(encode_record(page))
        assert back == page
        assert back.content_hash == page.content_hash
        assert [s.labels for s in back.sections] == [s.labels for s in page.sections]


def test_labels_that_are_not_in_the_text_are_kept_as_text() -> None:
    section = Section(
        "risks",
        "Common Risks: Fever.\nRare:\n- bleeding",
        (Label("common_risks", "Fever."), Label("rare", "bleeding, bruising"), Label("odd", "")),
        "Risks and Complications",
    )
    page = CodePage("hcpcs", "C9028", "Injection", (section,))
    back = decode_record(encode_record(page))
    assert back.sections[0].labels == section.labels
    assert '"Fever."' not in encode_record(page)  # a pointer, not a copy


def test_a_record_read_without_labels_has_the_same_names_and_text() -> None:
    page = next(p for p in _sample_pages() if any(s.labels for s in p.sections))
    light = decode_record(encode_record(page), labels=False)
    assert (light.code, light.title, light.alt_names) == (page.code, page.title, page.alt_names)
    assert [s.text for s in light.sections] == [s.text for s in page.sections]
    assert all(not s.labels for s in light.sections)


def test_a_head_names_the_page_as_its_record() -> None:
    """What re-ranking reads: the title, the alternative names and the name sections."""
    also = Section("also_known_as", "Besponsa\nInO", (), "Also known as")
    pages = [*_sample_pages(), CodePage("hcpcs", "J9229", "Injection", (also,), alt_names=("InO",))]
    for page in pages:
        head = decode_head(encode_head(page))
        assert (head.key, head.title, names_text(head)) == (page.key, page.title, names_text(page))
        assert head.content_hash == page.content_hash
        assert all(is_names_section(s.name) for s in head.sections)
    assert "Besponsa" in names_text(head)
