-- Depends on no source: a gate that skips stale upstream subgraphs still builds this.
select
    cast(day as date) as date_day,
    extract(year from day) as year,
    extract(month from day) as month,
    extract(isodow from day) as iso_day_of_week
{% if target.type == 'postgres' %}
from generate_series(date '2024-01-01', date '2024-12-31', interval '1 day') as t(day)
{% else %}
from range(date '2024-01-01', date '2025-01-01', interval 1 day) as t(day)
{% endif %}
