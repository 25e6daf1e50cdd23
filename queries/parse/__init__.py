"""Reading a query: the query language, field scopes, codes typed in a query, query files."""
