"""The search engine behind one door: the only package that imports Whoosh.

Schema, analyzers, tuned writers and codecs, mapped storage, the term-at-a-time scorer and code
listing live here; the rest of medcodes reads an index through `searcher.IndexSearcher`, writes
one through `writer.PageWriter`, and describes a search as an engine-neutral plan
(medcodes.index.search_plan). Changes to Whoosh itself are installed when an index is opened
(`opening.install_patches`), never on import.
"""
