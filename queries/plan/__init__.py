"""Planning a search: which terms in which fields, and code listings in code order."""
