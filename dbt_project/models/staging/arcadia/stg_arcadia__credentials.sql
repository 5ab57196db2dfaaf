{#-
    Conformed credentials (entity `credentials`, also provided by Urjanet): one row per Arc
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
    -- Urjanet-only credential (extraction channel) details
    {{ null_optional_columns('credentials') }},
    load_id,
    extracted_at
from {{ ref('stg_arcadia__utility_credentials') }}
