{#- Private: validate an ISO-8601 timestamp from the gate results and turn it into a naive UTC
    'YYYY-MM-DD HH:MM:SS[.ffffff]' string (none when absent or malformed), plus the
    per-adapter SQL literal for it. -#}
{% macro _normalize_timestamp(value) %}
  {%- if value is none or value is not string -%}
    {{ return(none) }}
  {%- endif -%}
  {%- set d2 = '[0-9][0-9]' -%}
  {%- set pattern = '^' ~ d2 ~ d2 ~ '-' ~ d2 ~ '-' ~ d2 ~ '[T ]' ~ d2 ~ ':' ~ d2
      ~ '(:' ~ d2 ~ '([.][0-9]{1,6})?)?(Z|[+-]' ~ d2 ~ ':' ~ d2 ~ ')?$' -%}
  {%- if not modules.re.match(pattern, value | trim) -%}
    {{ return(none) }}
  {%- endif -%}
  {%- set parsed = modules.datetime.datetime.fromisoformat((value | trim).replace('Z', '+00:00')) -%}
  {%- if parsed.tzinfo is not none -%}
    {%- set parsed = parsed.astimezone(modules.pytz.utc).replace(tzinfo=none) -%}
  {%- endif -%}
  {%- set text = parsed.strftime('%Y-%m-%d %H:%M:%S') -%}
  {%- if parsed.microsecond -%}
    {%- set text = text ~ '.' ~ ('%06d' | format(parsed.microsecond)) -%}
  {%- endif -%}
  {{ return(text) }}
{% endmacro %}

{% macro default___timestamp_literal(stamp) %}
  {{ return("cast('" ~ stamp ~ "' as " ~ dbt.type_timestamp() ~ ")") }}
{% endmacro %}

{% macro bigquery___timestamp_literal(stamp) %}
  {{ return("timestamp('" ~ stamp ~ "')") }}
{% endmacro %}

{% macro snowflake___timestamp_literal(stamp) %}
  {{ return("to_timestamp_ntz('" ~ stamp ~ "')") }}
{% endmacro %}
