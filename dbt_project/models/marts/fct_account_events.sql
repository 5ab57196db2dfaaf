{#-
    One row per vendor account event (conformed entity `account_events`; today the Urjanet change
    log): enrollment, extraction and monitoring status changes, nominations, id changes
    (AccountLinkageEvent), credential changes. The account is resolved to its current id, so
    events logged under an id that changed since join the current account of dim_accounts.
    Status metadata, not bill data: no policy applies.
-#}
with

events as (

    {{ union_vendor_entity('account_events') }}

),

final as (

    select
        {{ surrogate_key(['vendor', 'vendor_event_id']) }} as event_key,
        case
            when vendor_account_id is not null
                then {{ surrogate_key(['vendor', 'vendor_customer_id', 'vendor_account_id']) }}
        end as account_key,
        case
            when vendor_customer_id is not null
                then {{ surrogate_key(['vendor', 'vendor_customer_id']) }}
        end as customer_key,
        vendor,
        vendor_event_id,
        event_time,
        event_name,
        username,
        vendor_customer_id,
        vendor_account_id,
        account_number,
        provider_alias,
        old_status,
        new_status,
        old_account_id,
        new_account_id,
        event_fields,
        load_id,
        extracted_at
    from events

)

select * from final
