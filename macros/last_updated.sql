{#- last_updated(relation_or_source, default=none): SQL for the table's last update as the
    gate saw it (UTC), e.g. cast('2026-11-25 11:30:00' as timestamp), for incremental
    predicates. Without a verdict it returns `default` verbatim (a SQL expression), or a
    typed null when no default is given. -#}
{% macro last_updated(relation_or_source, default=none) %}
  {%- set view = dbt_armor.freshness(relation_or_source) -%}
  {%- set stamp = dbt_armor._normalize_timestamp(view.last_updated if view else none) -%}
  {%- if stamp is not none -%}
    {{ return(adapter.dispatch('_timestamp_literal', 'dbt_armor')(stamp)) }}
  {%- endif -%}
  {%- if default is not none -%}
    {{ return(default) }}
  {%- endif -%}
  {{ return('cast(null as ' ~ dbt.type_timestamp() ~ ')') }}
{% endmacro %}
