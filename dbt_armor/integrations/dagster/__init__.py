"""dbt-armor for Dagster: ``ArmorResource`` gates ``@dbt_assets``; source asset checks and a
sensor that waits for late sources. Needs ``pip install 'dbt-armor[dagster]'``.
"""

from dbt_armor.integrations.dagster.checks import armor_fresh_sensor, armor_source_checks
from dbt_armor.integrations.dagster.resource import ArmorResource, DbtGate

__all__ = ["ArmorResource", "DbtGate", "armor_fresh_sensor", "armor_source_checks"]
