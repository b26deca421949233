"""Benchmarks for dbt-armor. They print figures and never fail CI on timing."""
