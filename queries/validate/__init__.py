"""Is a code valid, billable, current? One verdict per typed code, over the loaded code sets.

Pure logic over a CodeTable (medcodes.pipeline.codesets.table) and a date: no index, no I/O,
so the CLI, the server and the bench all validate the same way.
"""
