{# dbt-armor: fail this model (and skip its children) when any source upstream of it,
   including through the ephemeral int_order_payments, is blocked by the gate. #}
{{ config(pre_hook="{{ dbt_armor.require_fresh() }}") }}
select
    o.order_id,
    o.customer_id,
    o.order_date,
    o.status,
    coalesce(p.payment_count, 0) as payment_count,
    coalesce(p.amount, 0) as amount
from {{ ref('stg_orders') }} as o
left join {{ ref('int_order_payments') }} as p
    on o.order_id = p.order_id
