{#- Private: the armor_gate_results table: its relation, columns, and the portable
    CREATE / batched multi-row INSERT statements for one run's gate results. -#}
{% macro _results_relation() %}
  {{ return(api.Relation.create(
      database=target.database,
      schema=var('dbt_armor_results_schema', target.schema),
      identifier=var('dbt_armor_results_table', 'armor_gate_results'),
      type='table')) }}
{% endmacro %}

{% macro _results_columns() %}
  {{ return([
      ('run_started_at', dbt.type_timestamp()),
      ('invocation_id', dbt.type_string()),
      ('generated_at', dbt.type_timestamp()),
      ('decision', dbt.type_string()),
      ('source_unique_id', dbt.type_string()),
      ('qualified_name', dbt.type_string()),
      ('status', dbt.type_string()),
      ('outcome', dbt.type_string()),
      ('hours_since_update', dbt.type_float()),
      ('threshold_hours', dbt.type_float()),
      ('last_updated', dbt.type_timestamp()),
      ('reasons', dbt.type_string()),
  ]) }}
{% endmacro %}

{% macro _results_create_sql(relation, if_not_exists) %}
  {%- set columns = [] -%}
  {%- for name, data_type in dbt_armor._results_columns() -%}
    {%- do columns.append(name ~ ' ' ~ data_type) -%}
  {%- endfor -%}
  {{ return('create table ' ~ (if_not_exists ~ ' ' if if_not_exists else '') ~ relation
      ~ ' (' ~ columns | join(', ') ~ ')') }}
{% endmacro %}

{% macro _results_rows(res) %}
  {%- set lit = adapter.dispatch('_string_literal', 'dbt_armor') -%}
  {%- set ts = adapter.dispatch('_timestamp_literal', 'dbt_armor') -%}
  {%- set null_ts = 'cast(null as ' ~ dbt.type_timestamp() ~ ')' -%}
  {%- set started = ts(run_started_at.strftime('%Y-%m-%d %H:%M:%S')) -%}
  {%- set generated = dbt_armor._normalize_timestamp(res.get('generated_at')) -%}
  {%- set generated = ts(generated) if generated else null_ts -%}
  {%- set entries = res.get('sources') or {} -%}
  {%- set rows = [] -%}
  {%- for unique_id in entries | sort -%}
    {%- set view = dbt_armor._entry_view(unique_id, entries[unique_id]) -%}
    {%- set updated = dbt_armor._normalize_timestamp(view.last_updated) -%}
    {%- do rows.append([
        started, lit(invocation_id), generated, lit(res.get('decision')), lit(unique_id),
        lit(view.qn), lit(view.status), lit(view.outcome),
        dbt_armor._float_literal(view.hours), dbt_armor._float_literal(view.threshold),
        ts(updated) if updated else null_ts, lit(tojson(view.reasons)),
    ]) -%}
  {%- endfor -%}
  {{ return(rows) }}
{% endmacro %}

{% macro _results_insert_sql(relation, rows, batch_size=500) %}
  {%- set names = [] -%}
  {%- for name, data_type in dbt_armor._results_columns() -%}
    {%- do names.append(name) -%}
  {%- endfor -%}
  {%- set statements = [] -%}
  {%- for batch in rows | batch(batch_size) -%}
    {%- set values = [] -%}
    {%- for row in batch -%}
      {%- do values.append('(' ~ row | join(', ') ~ ')') -%}
    {%- endfor -%}
    {%- do statements.append('insert into ' ~ relation ~ ' (' ~ names | join(', ') ~ ') values '
        ~ values | join(', ')) -%}
  {%- endfor -%}
  {{ return(statements) }}
{% endmacro %}
