select
    id as order_id,
    customer_id,
    order_date,
    status,
    loaded_at
from {{ source('shop', 'orders') }}
