{#-
    Conformed credentials (entity `credentials`, only Arcadia provides it): one row per Arc
    utility credential, the policy's customer (vendor_customer_id = vendor_credential_id).
-#}
select
    vendor,
    vendor_credential_id,
    vendor_customer_id,
    client_user_id,
    utility_name,
    verification_status,
    verification_updated_at,
    accounts_load_in_progress,
    created_at,
    updated_at,
    load_id,
    extracted_at
from {{ ref('stg_arcadia__utility_credentials') }}
