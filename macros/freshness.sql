{#- freshness(relation_or_source): the gate's verdict on one upstream table in this run:
    a dict with status, outcome, hours (hours_since_update), threshold (threshold_hours),
    last_updated, qn, reasons, blocked, unique_id; none when the gate did not report it. -#}
{% macro freshness(relation_or_source) %}
  {%- set res = dbt_armor.results() -%}
  {%- if not res -%}
    {{ return(none) }}
  {%- endif -%}
  {{ return(dbt_armor._find_entry(relation_or_source, res)) }}
{% endmacro %}
