{#- Private: the gate's reason to fail every gated node of this run, or none. A gate that could
    not ask the platform (outcome 'unavailable', or an older 'decision: error' without
    per-source verdicts) or found no gated source known to it ('not_configured') fails
    closed, unless its on_api_error was 'open' (then the outcome is 'unchecked'). -#}
{% macro _run_failed(res) %}
  {%- set outcome = (res.get('outcome') or '') | string | lower -%}
  {%- set decision = (res.get('decision') or '') | string | lower -%}
  {%- if outcome == 'unavailable' or (outcome == '' and decision == 'error'
        and (res.get('on_api_error') or 'fail') | string | lower != 'open') -%}
    {{ return("the gate could not ask the platform (on_api_error="
        ~ (res.get('on_api_error') or 'fail') ~ "), so no upstream table is known to be fresh") }}
  {%- endif -%}
  {%- if outcome == 'not_configured' -%}
    {{ return("the platform knows none of the gated upstream tables (check `dbt-armor map --check`)") }}
  {%- endif -%}
  {{ return(none) }}
{% endmacro %}
