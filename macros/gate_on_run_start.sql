{#- gate_on_run_start(): on-run-start hook that refuses the whole run (all-or-nothing) when any
    selected model, seed or snapshot has a blocked upstream table. In the gate's skip mode it
    only warns and leaves per-model failures to require_fresh pre-hooks. Sends no SQL. -#}
{% macro gate_on_run_start() %}
  {%- if not execute -%}
    {{ return('') }}
  {%- endif -%}
  {%- set res = dbt_armor.results() -%}
  {%- if not res -%}
    {{ return(dbt_armor._handle_missing_results('on-run-start', stops_run=true) | trim) }}
  {%- endif -%}
  {%- set selected = {} -%}
  {%- for unique_id in selected_resources -%}
    {%- set node = graph.nodes.get(unique_id) -%}
    {%- if node and node.resource_type in ['model', 'seed', 'snapshot'] -%}
      {%- do selected.update({unique_id: []}) -%}
    {%- endif -%}
  {%- endfor -%}
  {%- set failed = dbt_armor._run_failed(res) -%}
  {%- if failed is not none and selected -%}
    {{ exceptions.raise_compiler_error("dbt-armor: " ~ selected | length
        ~ " selected node(s) cannot run: " ~ failed ~ ". Rerun once the gate passes.") }}
  {%- endif -%}
  {%- set entries = res.get('sources') or {} -%}
  {%- set blocked_views = [] -%}
  {%- for unique_id in entries | sort -%}
    {%- set view = dbt_armor._entry_view(unique_id, entries[unique_id]) -%}
    {%- if view.blocked -%}
      {%- do blocked_views.append(view) -%}
    {%- endif -%}
  {%- endfor -%}
  {%- set offenders = {} -%}
  {%- if blocked_views -%}
    {%- set children = dbt_armor._children_map() -%}
    {%- for view in blocked_views -%}
      {%- for unique_id in dbt_armor._descendants(view.unique_id, children) -%}
        {%- if unique_id in selected -%}
          {%- do offenders.setdefault(unique_id, []).append(view) -%}
        {%- endif -%}
      {%- endfor -%}
    {%- endfor -%}
  {%- endif -%}
  {%- for unique_id in res.get('blocked_nodes') or [] -%}
    {%- if unique_id in selected -%}
      {%- do offenders.setdefault(unique_id, []) -%}
    {%- endif -%}
  {%- endfor -%}
  {%- if not offenders -%}
    {%- do log("dbt-armor: gate " ~ (res.get('outcome') or res.get('decision') or 'pass') ~ ", "
        ~ entries | length ~ " upstream table(s) checked, none blocks the "
        ~ selected | length ~ " selected node(s)", info=true) -%}
    {{ return('') }}
  {%- endif -%}
  {%- set lines = [] -%}
  {%- for unique_id in offenders | sort -%}
    {%- set views = offenders[unique_id] -%}
    {%- set why = [] -%}
    {%- for view in views -%}
      {%- do why.append(dbt_armor._describe_entry(view)) -%}
    {%- endfor -%}
    {%- do lines.append(unique_id ~ " <- " ~ (why | join('; ') if why else 'blocked by the gate')) -%}
  {%- endfor -%}
  {%- set message = "dbt-armor: " ~ lines | length ~ " selected node(s) read blocked upstream data: "
      ~ lines | join(' | ')
      ~ ". Reload the upstream table(s), exclude these nodes, or run with the gate in skip mode." -%}
  {%- if (res.get('mode') or 'block') | string | lower == 'skip' -%}
    {%- do exceptions.warn(message) -%}
    {{ return('') }}
  {%- endif -%}
  {{ return(dbt_armor._refuse_run(message)) }}
{% endmacro %}
