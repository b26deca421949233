{#- Private: stop the whole run from an on-run-start hook, on every supported dbt-core.
    From 1.9 an error raised in on-run-start skips every node (exit 2). dbt-core 1.8 turns any
    error raised while rendering the hook into a logged hook failure and builds every node
    anyway; what it does not catch is a hook statement that fails its own schema check (a JSON
    object whose sql is not text), which ends the run before any node starts, with exit 2.
    Use as `{{ return(dbt_armor._refuse_run(message)) }}` from an on-run-start macro. -#}
{% macro _refuse_run(message) %}
  {%- if dbt_armor._hook_errors_are_swallowed() -%}
    {%- do log(message, info=true) -%}
    {{ return(tojson({'sql': [message]})) }}
  {%- endif -%}
  {{ exceptions.raise_compiler_error(message) }}
{% endmacro %}

{#- Private: true on dbt-core before 1.9, where an error raised in on-run-start does not stop
    the run. -#}
{% macro _hook_errors_are_swallowed() %}
  {%- set parts = (dbt_version | string).split('.') -%}
  {%- if parts | length < 2 -%}
    {{ return(false) }}
  {%- endif -%}
  {%- set major = parts[0] | replace('=', '') | int -%}
  {%- set minor = parts[1] | int -%}
  {{ return(major == 1 and minor < 9) }}
{% endmacro %}
