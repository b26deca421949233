{#- gate_results(): another name for results(), kept for readability in models. -#}
{% macro gate_results() %}
  {{ return(dbt_armor.results()) }}
{% endmacro %}
