"""PR checks (``dbt-armor ci``): what a pull request changes and what the platform says about it.

``diff`` compares manifests (pure), ``model`` holds the report and merge policy, ``render``
writes Markdown/JUnit/annotations, ``collect`` and ``sync_rows`` read the platform.
"""
