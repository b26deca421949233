{#- results(): the whole gate result of the current run, read from DBT_ARMOR_RESULTS.
    Reads the environment only while executing (so partial parsing survives a change of
    results) and joins chunked results. Returns {} when absent or not executing. -#}
{% macro results() %}
  {%- if not execute -%}
    {{ return({}) }}
  {%- endif -%}
  {%- set raw = env_var('DBT_ARMOR_RESULTS', '') | trim -%}
  {%- if raw == '' -%}
    {{ return({}) }}
  {%- endif -%}
  {%- set parsed = dbt_armor._parse_results_json(raw, 'DBT_ARMOR_RESULTS') -%}
  {%- if 'chunks' in parsed and 'sources' not in parsed -%}
    {%- set count = parsed['chunks'] | int -%}
    {%- set parts = [] -%}
    {%- for index in range(1, count + 1) -%}
      {%- set part = env_var('DBT_ARMOR_RESULTS_' ~ index, '') -%}
      {%- if part == '' -%}
        {{ exceptions.raise_compiler_error(
            "dbt-armor: gate results are split into " ~ count ~ " chunks but DBT_ARMOR_RESULTS_"
            ~ index ~ " is not set; pass every DBT_ARMOR_RESULTS_* variable to dbt (or rerun"
            ~ " through `dbt-armor run`)") }}
      {%- endif -%}
      {%- do parts.append(part) -%}
    {%- endfor -%}
    {%- set parsed = dbt_armor._parse_results_json(parts | join(''), 'DBT_ARMOR_RESULTS_1..' ~ count) -%}
  {%- endif -%}
  {%- if (parsed.get('version') or 1) | int > 1 -%}
    {{ exceptions.raise_compiler_error(
        "dbt-armor: gate results have version " ~ parsed.get('version')
        ~ ", newer than this dbt_armor package understands; upgrade the dbt_armor package") }}
  {%- endif -%}
  {{ return(parsed) }}
{% endmacro %}
