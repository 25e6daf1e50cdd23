"""Presenting results: snippets, did-you-mean suggestions, and text output."""
