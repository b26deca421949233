{#- persist_results(): on-run-end hook (or run-operation) appending one row per upstream table
    of this run's gate results to `armor_gate_results` (schema: var dbt_armor_results_schema,
    default target.schema), creating the table when missing. Sends no SQL of its own. -#}
{% macro persist_results() %}
  {%- if not execute -%}
    {{ return('') }}
  {%- endif -%}
  {%- set res = dbt_armor.results() -%}
  {%- if not res -%}
    {%- do dbt_armor._handle_missing_results('persist_results') -%}
    {{ return('') }}
  {%- endif -%}
  {%- set relation = dbt_armor._results_relation() -%}
  {%- set rows = dbt_armor._results_rows(res) -%}
  {%- do adapter.dispatch('persist_results', 'dbt_armor')(relation, rows) -%}
  {%- do log("dbt-armor: appended " ~ rows | length ~ " gate result row(s) to " ~ relation, info=true) -%}
  {{ return('') }}
{% endmacro %}

{% macro default__persist_results(relation, rows) %}
  {%- set existing = adapter.get_relation(
      database=relation.database, schema=relation.schema, identifier=relation.identifier) -%}
  {%- if existing is none -%}
    {%- do adapter.create_schema(relation) -%}
    {%- do run_query(dbt_armor._results_create_sql(relation, '')) -%}
  {%- endif -%}
  {%- for statement in dbt_armor._results_insert_sql(relation, rows) -%}
    {%- do run_query(statement) -%}
  {%- endfor -%}
{% endmacro %}

{% macro duckdb__persist_results(relation, rows) %}
  {%- do run_query("create schema if not exists " ~ relation.without_identifier()) -%}
  {%- do run_query(dbt_armor._results_create_sql(relation, 'if not exists')) -%}
  {%- for statement in dbt_armor._results_insert_sql(relation, rows) -%}
    {%- do run_query(statement) -%}
  {%- endfor -%}
  {%- do adapter.commit() -%}
{% endmacro %}

{#- run_query sends no BEGIN of dbt's own (auto_begin=false), so dbt's adapter.commit() refuses
    ("no transaction open") while psycopg2 holds an implicit one: end it with COMMIT instead. -#}
{% macro postgres__persist_results(relation, rows) %}
  {%- do run_query("create schema if not exists " ~ relation.without_identifier().include(database=false)) -%}
  {%- do run_query(dbt_armor._results_create_sql(relation, 'if not exists')) -%}
  {%- for statement in dbt_armor._results_insert_sql(relation, rows) -%}
    {%- do run_query(statement) -%}
  {%- endfor -%}
  {%- do run_query('commit') -%}
{% endmacro %}
