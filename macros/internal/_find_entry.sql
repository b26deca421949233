{#- Private: find the gate-result entry for a relation (source() / ref()), a unique_id or a
    qualified name. Matches the relation's database/schema/identifier against `graph`
    (case-insensitive), then falls back to a qualified-name suffix. Returns a view or none. -#}
{% macro _find_entry(target, res) %}
  {%- set entries = res.get('sources') or {} -%}
  {%- if target is string -%}
    {%- if target in entries -%}
      {{ return(dbt_armor._entry_view(target, entries[target])) }}
    {%- endif -%}
    {{ return(dbt_armor._find_by_qn_suffix(entries, [target | lower])) }}
  {%- endif -%}
  {%- if target.identifier is not defined -%}
    {{ exceptions.raise_compiler_error(
        "dbt-armor: expected source('x','y'), ref('m'), a unique_id or a qualified name, got '"
        ~ target ~ "'; pass one of those") }}
  {%- endif -%}
  {%- set want_db = (target.database or '') | lower -%}
  {%- set want_schema = (target.schema or '') | lower -%}
  {%- set want_name = (target.identifier or '') | lower -%}
  {%- for unique_id in entries | sort -%}
    {%- set node = graph.sources.get(unique_id) or graph.nodes.get(unique_id) -%}
    {%- if node -%}
      {%- set name = node.get('identifier') or node.get('alias') or node.get('name') or '' -%}
      {%- set db = (node.get('database') or '') | lower -%}
      {%- if name | lower == want_name and (node.get('schema') or '') | lower == want_schema
            and (db == want_db or db == '' or want_db == '') -%}
        {{ return(dbt_armor._entry_view(unique_id, entries[unique_id])) }}
      {%- endif -%}
    {%- endif -%}
  {%- endfor -%}
  {%- set suffixes = [want_schema ~ '.' ~ want_name] -%}
  {%- if want_db -%}
    {%- set suffixes = [want_db ~ '.' ~ want_schema ~ '.' ~ want_name] + suffixes -%}
  {%- endif -%}
  {{ return(dbt_armor._find_by_qn_suffix(entries, suffixes)) }}
{% endmacro %}

{% macro _find_by_qn_suffix(entries, suffixes) %}
  {%- for suffix in suffixes -%}
    {%- for unique_id in entries | sort -%}
      {%- set qn = (entries[unique_id].get('qn') or '') | lower -%}
      {%- if qn == suffix or qn.endswith('.' ~ suffix) -%}
        {{ return(dbt_armor._entry_view(unique_id, entries[unique_id])) }}
      {%- endif -%}
    {%- endfor -%}
  {%- endfor -%}
  {{ return(none) }}
{% endmacro %}
