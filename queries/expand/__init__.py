"""Expanding a query's words: abbreviations, synonyms, brands, the index vocabulary and typos."""
