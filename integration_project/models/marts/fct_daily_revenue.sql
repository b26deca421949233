{{ config(materialized='incremental', unique_key='order_date', tags=['nightly']) }}

select
    order_date,
    count(*) as order_count,
    sum(amount) as revenue
from {{ ref('fct_orders') }}
{% if is_incremental() %}
where order_date >= (select coalesce(max(order_date), date '1900-01-01') from {{ this }})
{% endif %}
group by order_date
