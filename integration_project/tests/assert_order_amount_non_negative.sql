-- Singular test: no order in the fact table has a negative total.
select order_id, amount
from {{ ref('fct_orders') }}
where amount < 0
