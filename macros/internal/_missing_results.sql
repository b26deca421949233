{#- Private: apply var dbt_armor_missing_results (ignore | warn | error, default warn) when a
    macro finds no gate results in the environment; stops_run: called from on-run-start, whose
    error must stop the whole run (see _refuse_run). -#}
{% macro _handle_missing_results(where, stops_run=false) %}
  {%- set mode = var('dbt_armor_missing_results', 'warn') | string | lower | trim -%}
  {%- set message = "dbt-armor: no gate results for " ~ where
      ~ " (DBT_ARMOR_RESULTS is not set); run dbt through `dbt-armor run` / `dbt-armor build`,"
      ~ " or set var dbt_armor_missing_results to 'ignore'" -%}
  {%- if mode == 'error' and stops_run -%}
    {{ return(dbt_armor._refuse_run(message)) }}
  {%- elif mode == 'error' -%}
    {{ exceptions.raise_compiler_error(message) }}
  {%- elif mode == 'warn' -%}
    {%- do exceptions.warn(message) -%}
  {%- elif mode != 'ignore' -%}
    {%- set bad = "dbt-armor: var dbt_armor_missing_results is '" ~ mode
        ~ "'; set it to one of ignore, warn, error" -%}
    {%- if stops_run -%}
      {{ return(dbt_armor._refuse_run(bad)) }}
    {%- endif -%}
    {{ exceptions.raise_compiler_error(bad) }}
  {%- endif -%}
{% endmacro %}
