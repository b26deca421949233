{#- is_fresh(relation_or_source, default=false): true when the gate reported the table as
    fresh in this run; `default` when the gate has no verdict for it. -#}
{% macro is_fresh(relation_or_source, default=false) %}
  {%- set view = dbt_armor.freshness(relation_or_source) -%}
  {%- if view is none -%}
    {{ return(default) }}
  {%- endif -%}
  {{ return(view.status == 'fresh') }}
{% endmacro %}
