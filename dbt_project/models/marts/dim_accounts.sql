with

accounts as (

    {{ union_vendor_entity('accounts') }}

),

final as (

    select
        {{ surrogate_key(['vendor', 'vendor_customer_id', 'vendor_account_id']) }} as account_key,
        {{ surrogate_key(['vendor', 'vendor_customer_id']) }} as customer_key,
        vendor,
        vendor_account_id,
        vendor_customer_id,
        utility,
        account_number,
        status,
        account_source,
        {{ optional_column_names('accounts') | join(',\n        ') }}
    from accounts

)

select * from final
