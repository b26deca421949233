"""dbt's source freshness artifact (target/sources.json) written from the platform's facts,
and the wrapper's ``--only-new-data`` narrowing built on it. Nothing here queries a warehouse.
"""
