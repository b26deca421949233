{# dbt-armor: a pre-hook such as dbt_armor.require_fresh(source('shop', 'orders')) goes in
   this model's config once the macro package provides it. #}
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
