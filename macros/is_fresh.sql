{#- is_fresh(relation_or_source, default=false): true when the gate reported the table as
    fresh in this run; `default` when the gate has no verdict for it; false whenever the gate
    could not ask the platform (unless on_api_error was open). -#}
{% macro is_fresh(relation_or_source, default=false) %}
  {%- set res = dbt_armor.results() -%}
  {%- if res and dbt_armor._run_failed(res) is not none -%}
    {{ return(false) }}
  {%- endif -%}
  {%- set view = dbt_armor.freshness(relation_or_source) -%}
  {%- if view is none -%}
    {{ return(default) }}
  {%- endif -%}
  {{ return(view.status == 'fresh') }}
{% endmacro %}
