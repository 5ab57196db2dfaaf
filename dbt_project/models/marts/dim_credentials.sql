{#-
    One row per vendor utility credential (one utility login). Only Arcadia has a credential
    object (conformed entity `credentials`); its credential is also the policy's customer, so
    vendor_customer_id = vendor_credential_id and customer_key joins dim_customers.
-#}
with

credentials as (

    {{ union_vendor_entity('credentials') }}

),

final as (

    select
        {{ surrogate_key(['vendor', 'vendor_credential_id']) }} as credential_key,
        {{ surrogate_key(['vendor', 'vendor_customer_id']) }} as customer_key,
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
        extracted_at as last_extracted_at
    from credentials

)

select * from final
