{#- require_fresh(*relations, severity='error'): pre-hook that fails this model (or warns)
    when an upstream table is blocked by the gate. Without arguments it checks every source
    upstream of the model through `graph`. Renders to nothing, so the hook sends no SQL. -#}
{% macro require_fresh() %}
  {%- if not execute -%}
    {{ return('') }}
  {%- endif -%}
  {%- set severity = kwargs.get('severity', 'error') | string | lower -%}
  {%- if severity not in ['error', 'warn'] -%}
    {{ exceptions.raise_compiler_error(
        "dbt-armor: require_fresh(severity='" ~ severity ~ "') is not supported; use 'error' or 'warn'") }}
  {%- endif -%}
  {%- set node_id = model.unique_id if model is defined and model is mapping else none -%}
  {%- if node_id is none and not varargs -%}
    {{ exceptions.raise_compiler_error(
        "dbt-armor: require_fresh() without arguments must run as a model pre-hook;"
        ~ " pass the relations to check, e.g. require_fresh(source('raw', 'orders'))") }}
  {%- endif -%}
  {%- set where = node_id or 'require_fresh' -%}
  {%- set res = dbt_armor.results() -%}
  {%- if not res -%}
    {%- do dbt_armor._handle_missing_results(where) -%}
    {{ return('') }}
  {%- endif -%}
  {%- set failed = dbt_armor._run_failed(res) -%}
  {%- if failed is not none and (varargs or dbt_armor._upstream_sources(node_id)) -%}
    {%- set message = "dbt-armor: " ~ where ~ " cannot run: " ~ failed
        ~ ". Rerun once the gate passes." -%}
    {%- if severity == 'error' -%}
      {{ exceptions.raise_compiler_error(message) }}
    {%- endif -%}
    {%- do exceptions.warn(message) -%}
    {{ return('') }}
  {%- endif -%}
  {%- set views = [] -%}
  {%- if varargs -%}
    {%- for arg in varargs -%}
      {%- set single = arg is string or arg.identifier is defined or arg is not iterable -%}
      {%- for target in ([arg] if single else arg) -%}
        {%- set view = dbt_armor._find_entry(target, res) -%}
        {%- if view is not none -%}
          {%- do views.append(view) -%}
        {%- endif -%}
      {%- endfor -%}
    {%- endfor -%}
  {%- else -%}
    {%- set entries = res.get('sources') or {} -%}
    {%- for source_id in dbt_armor._upstream_sources(node_id) -%}
      {%- if source_id in entries -%}
        {%- do views.append(dbt_armor._entry_view(source_id, entries[source_id])) -%}
      {%- endif -%}
    {%- endfor -%}
  {%- endif -%}
  {%- set blocked = views | selectattr('blocked') | list -%}
  {%- if blocked -%}
    {%- set details = [] -%}
    {%- for view in blocked -%}
      {%- do details.append(dbt_armor._describe_entry(view)) -%}
    {%- endfor -%}
    {%- set message = "dbt-armor: " ~ where ~ " reads blocked upstream data: "
        ~ details | join('; ')
        ~ ". Reload the upstream table(s) or rerun once the platform reports them fresh." -%}
    {%- if severity == 'error' -%}
      {{ exceptions.raise_compiler_error(message) }}
    {%- endif -%}
    {%- do exceptions.warn(message) -%}
  {%- endif -%}
  {{ return('') }}
{% endmacro %}
