"""`medcodes serve`: a read-only HTTP JSON API over the public Searcher (FastAPI on uvicorn).

The only package that imports the ASGI stack (fastapi, starlette, uvicorn); it sits
beside the CLI on top of queries and index, and nothing below imports it.
"""
