{#- Private: walks of dbt's `graph` (available while executing): the sources a node reads,
    transitively through every upstream model, and the nodes downstream of a set of ids. -#}
{% macro _upstream_sources(node_id) %}
  {%- set seen = {node_id: true} -%}
  {%- set queue = [node_id] -%}
  {%- set found = [] -%}
  {#- The queue grows while it is walked: a breadth-first search without recursion. -#}
  {%- for current in queue -%}
    {%- set node = graph.nodes.get(current) -%}
    {%- if node -%}
      {%- for parent in (node.get('depends_on') or {}).get('nodes') or [] -%}
        {%- if parent not in seen -%}
          {%- do seen.update({parent: true}) -%}
          {%- if parent in graph.sources -%}
            {%- do found.append(parent) -%}
          {%- else -%}
            {%- do queue.append(parent) -%}
          {%- endif -%}
        {%- endif -%}
      {%- endfor -%}
    {%- endif -%}
  {%- endfor -%}
  {{ return(found | sort) }}
{% endmacro %}

{% macro _children_map() %}
  {%- set children = {} -%}
  {%- for node in graph.nodes.values() -%}
    {%- for parent in (node.get('depends_on') or {}).get('nodes') or [] -%}
      {%- if parent not in children -%}
        {%- do children.update({parent: []}) -%}
      {%- endif -%}
      {%- do children[parent].append(node.unique_id) -%}
    {%- endfor -%}
  {%- endfor -%}
  {{ return(children) }}
{% endmacro %}

{% macro _descendants(start_id, children) %}
  {%- set seen = {start_id: true} -%}
  {%- set queue = [start_id] -%}
  {%- for current in queue -%}
    {%- for child in children.get(current, []) -%}
      {%- if child not in seen -%}
        {%- do seen.update({child: true}) -%}
        {%- do queue.append(child) -%}
      {%- endif -%}
    {%- endfor -%}
  {%- endfor -%}
  {{ return(queue[1:]) }}
{% endmacro %}
