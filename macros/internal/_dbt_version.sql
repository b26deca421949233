{#- _hook_errors_are_swallowed(): true on dbt-core before 1.9, where an error raised in
    on-run-start is logged as a failed hook and the run still builds every selected node. -#}
{% macro _hook_errors_are_swallowed() %}
  {%- set parts = (dbt_version | string).split('.') -%}
  {%- if parts | length < 2 -%}
    {{ return(false) }}
  {%- endif -%}
  {%- set major = parts[0] | replace('=', '') | int -%}
  {%- set minor = parts[1] | int -%}
  {{ return(major == 1 and minor < 9) }}
{% endmacro %}
