{#- Private: one gate-result entry as a normalised dict, whether it blocks, and its
    one-line description for messages. -#}
{% macro _entry_view(unique_id, entry) %}
  {%- set status = (entry.get('status') or 'unknown') | string | lower -%}
  {%- set outcome = entry.get('outcome') -%}
  {%- set outcome = (outcome | string | lower) if outcome is not none else none -%}
  {%- set reasons = entry.get('reasons') or [] -%}
  {%- set reasons = [reasons] if reasons is string else reasons | list -%}
  {%- set blocked = (outcome == 'block') or (outcome is none and status == 'stale') -%}
  {{ return({
      'unique_id': unique_id,
      'qn': entry.get('qn'),
      'qualified_name': entry.get('qn'),
      'status': status,
      'outcome': outcome,
      'hours': entry.get('hours'),
      'hours_since_update': entry.get('hours'),
      'threshold': entry.get('threshold'),
      'threshold_hours': entry.get('threshold'),
      'last_updated': entry.get('last_updated'),
      'reasons': reasons,
      'blocked': blocked,
  }) }}
{% endmacro %}

{% macro _format_hours(value) %}
  {%- if value is number -%}
    {{ return('%.1fh' | format(value | float)) }}
  {%- endif -%}
  {{ return('unknown') }}
{% endmacro %}

{% macro _describe_entry(view) %}
  {%- set name = view.unique_id -%}
  {%- if view.unique_id in graph.sources -%}
    {%- set src = graph.sources[view.unique_id] -%}
    {%- set name = "source '" ~ src.source_name ~ "." ~ src.name ~ "'" -%}
  {%- endif -%}
  {%- set text = name ~ (" (" ~ view.qn ~ ")" if view.qn else "") ~ " is " ~ view.status
      ~ ": " ~ dbt_armor._format_hours(view.hours) ~ " since last update, threshold "
      ~ dbt_armor._format_hours(view.threshold) -%}
  {%- if view.reasons -%}
    {%- set text = text ~ " [" ~ (view.reasons | join('; ')) ~ "]" -%}
  {%- endif -%}
  {{ return(text) }}
{% endmacro %}
