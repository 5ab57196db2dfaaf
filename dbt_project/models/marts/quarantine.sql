with

quarantine as (

    {{ union_vendor_entity('quarantine') }}

)

select
    vendor,
    entity,
    record_id,
    raw_record,
    reason,
    load_id,
    extracted_at
from quarantine
