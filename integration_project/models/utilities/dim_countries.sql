-- Built from a seed only: no upstream source.
select country_code, country_name
from {{ ref('country_codes') }}
