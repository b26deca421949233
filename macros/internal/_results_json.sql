{#- Private: decode the JSON text of the gate results and check its shape. -#}
{% macro _parse_results_json(text, origin) %}
  {%- set parsed = fromjson(text) -%}
  {%- if parsed is not mapping -%}
    {{ exceptions.raise_compiler_error(
        "dbt-armor: " ~ origin ~ " does not hold a JSON object; unset it or let"
        ~ " `dbt-armor run` / `dbt-armor gate --emit-env` write it") }}
  {%- endif -%}
  {{ return(parsed) }}
{% endmacro %}
