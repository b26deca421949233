{#- Private: SQL literals for values taken from the gate results. Strings are escaped per
    adapter (doubled quotes in ANSI SQL; backslash escapes where the dialect treats the
    backslash as an escape character); numbers are validated, anything else becomes null. -#}
{% macro default___string_literal(value) %}
  {%- if value is none -%}
    {{ return('null') }}
  {%- endif -%}
  {{ return("'" ~ (value | string).replace("'", "''") ~ "'") }}
{% endmacro %}

{% macro snowflake___string_literal(value) %}
  {%- if value is none -%}
    {{ return('null') }}
  {%- endif -%}
  {{ return("'" ~ (value | string).replace('\\', '\\\\').replace("'", "''") ~ "'") }}
{% endmacro %}

{% macro redshift___string_literal(value) %}
  {{ return(dbt_armor.snowflake___string_literal(value)) }}
{% endmacro %}

{% macro bigquery___string_literal(value) %}
  {%- if value is none -%}
    {{ return('null') }}
  {%- endif -%}
  {%- set text = (value | string).replace('\\', '\\\\').replace("'", "\\'") -%}
  {{ return("'" ~ text.replace('\n', '\\n').replace('\r', '\\r') ~ "'") }}
{% endmacro %}

{% macro spark___string_literal(value) %}
  {{ return(dbt_armor.bigquery___string_literal(value)) }}
{% endmacro %}

{% macro databricks___string_literal(value) %}
  {{ return(dbt_armor.bigquery___string_literal(value)) }}
{% endmacro %}

{% macro _float_literal(value) %}
  {%- set text = (value | float | string) if (value is number and value is not boolean) else '' -%}
  {%- if text and 'inf' not in text and 'nan' not in text -%}
    {{ return('cast(' ~ text ~ ' as ' ~ dbt.type_float() ~ ')') }}
  {%- endif -%}
  {{ return('cast(null as ' ~ dbt.type_float() ~ ')') }}
{% endmacro %}
