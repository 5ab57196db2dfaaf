{#-
    Conformed account events (entity `account_events`, provided by Urjanet only; feeds
    fct_account_events): one row per change-log event (stg_urjanet__change_events).

    The event's account is resolved to the CURRENT account id (stg_urjanet__account_ids): from
    new_account_id, else old_account_id (an AccountLinkageEvent of an id change names both),
    else the account_key of the event's provider alias and account number (the earliest created
    current account of that key). vendor_customer_id = vendor_account_id = that id (the account
    is the policy's customer); NULL for events about no known account (e.g. credential events).
    old_account_id / new_account_id, statuses and the whole event_fields JSON are kept as sent.
-#}
with

events as (

    select * from {{ ref('stg_urjanet__change_events') }}

),

account_ids as (

    select * from {{ ref('stg_urjanet__account_ids') }}

),

key_accounts as (

    {{ dedupe_latest('(select * from account_ids where is_current)', ['account_key'],
                     ['created_at asc nulls last', 'current_account_id']) }}

),

final as (

    select
        events.vendor,
        events.vendor_event_id,
        events.event_time,
        events.event_name,
        events.username,
        coalesce(by_new_id.current_account_id, by_old_id.current_account_id, by_key.current_account_id) as vendor_customer_id,
        coalesce(by_new_id.current_account_id, by_old_id.current_account_id, by_key.current_account_id) as vendor_account_id,
        events.account_number,
        events.provider_alias,
        events.old_status,
        events.new_status,
        events.old_account_id,
        events.new_account_id,
        events.event_fields,
        events.load_id,
        events.extracted_at,
        events.account_key
    from events
    left join account_ids as by_new_id
        on events.new_account_id = by_new_id.account_id
    left join account_ids as by_old_id
        on events.old_account_id = by_old_id.account_id
    left join key_accounts as by_key
        on events.account_key = by_key.account_key

)

select * from final
