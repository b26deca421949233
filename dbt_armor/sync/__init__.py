"""Sync dbt tests into platform rules as a reviewable plan, then apply it.

Pure parts: translate, keys, plan. I/O parts: remote (reads), apply (writes).
"""
