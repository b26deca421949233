"""Orchestrator integrations (Dagster, Airflow), imported only when used.

Nothing here is imported by ``import dbt_armor`` or the CLI; each submodule imports its
orchestrator on first use. ``_gate`` is the one adapter every integration calls to gate.
"""
