"""Renderers for gate results: terminal table, JSON artifact, JUnit XML, Markdown, annotations.

Each module renders a ``dbt_armor.gate.decide.Decision``; none of them talks to the platform.
"""
