select
    id as customer_id,
    first_name,
    last_name,
    lower(email) as email,
    country_code,
    signed_up_at,
    loaded_at
from {{ source('crm', 'customers') }}
