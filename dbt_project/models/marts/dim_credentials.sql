{#-
    One row per vendor utility credential (one utility login; conformed entity `credentials`).
    Arcadia: the credential is also the policy's customer, so vendor_customer_id =
    vendor_credential_id and customer_key joins dim_customers. Urjanet: a credential (extraction
    channel) serves many accounts and the policy's customer is the account, so
    vendor_customer_id and customer_key are NULL. Columns a vendor does not give are NULL.
    No username, password or key is ever landed.
-#}
with

credentials as (

    {{ union_vendor_entity('credentials') }}

),

final as (

    select
        {{ surrogate_key(['vendor', 'vendor_credential_id']) }} as credential_key,
        case
            when vendor_customer_id is not null
                then {{ surrogate_key(['vendor', 'vendor_customer_id']) }}
        end as customer_key,
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
        {{ optional_column_names('credentials') | join(',\n        ') }},
        extracted_at as last_extracted_at
    from credentials

)

select * from final
