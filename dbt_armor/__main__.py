"""``python -m dbt_armor``: the same entry point as the ``dbt-armor`` console script."""

from dbt_armor.cli.main import main

if __name__ == "__main__":
    main()
