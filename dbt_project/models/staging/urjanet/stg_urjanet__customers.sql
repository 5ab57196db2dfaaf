{#-
    Conformed customers for Urjanet: the policy's customer is the ACCOUNT, so one row per current
    account id (stg_urjanet__accounts), vendor_customer_id = the account id. The policy links it
    at its created time (the earliest created of its account_key, so an id change does not move
    it; compiled by connectors/urjanet/sync.py, not here).

    * external_id NULL (Urjanet's customer_id is the API tenant, the same for every account);
      utility = provider_alias; city / state / zipcode NULL (meters carry a street address only).
    * has_filled_credentials: the account has at least one credential (extraction channel);
      credentials_filled_at and terms_accepted_at NULL (not exposed).
    * bills_are_ready: enrollment_status is `SUCCESSFUL_ENROLLED` or `SUCCESSFUL_DELIVERED`
      (Urjanet extracts and delivers its statements); NULL when the status is unknown.
      intervals_are_ready NULL (Urjanet interval data is not ingested).
-#}
with

current_ids as (

    select account_id
    from {{ ref('stg_urjanet__account_ids') }}
    where is_current

),

accounts as (

    select * from {{ ref('stg_urjanet__utility_accounts') }}

),

final as (

    select
        accounts.vendor,
        accounts.vendor_account_id as vendor_customer_id,
        cast(null as {{ type_text() }}) as external_id,
        accounts.provider_alias as utility,
        cast(null as {{ type_text() }}) as city,
        cast(null as {{ type_text() }}) as state,
        cast(null as {{ type_text() }}) as zipcode,
        coalesce(accounts.credential_ids is not null
            and replace(accounts.credential_ids, ' ', '') not in ('', '[]'), false) as has_filled_credentials,
        cast(null as {{ type_timestamp_tz() }}) as credentials_filled_at,
        cast(null as {{ type_timestamp_tz() }}) as terms_accepted_at,
        case
            when accounts.enrollment_status is not null
                then upper(accounts.enrollment_status) in ('SUCCESSFUL_ENROLLED', 'SUCCESSFUL_DELIVERED')
        end as bills_are_ready,
        cast(null as boolean) as intervals_are_ready,
        accounts.load_id,
        accounts.extracted_at
    from accounts
    inner join current_ids
        on accounts.vendor_account_id = current_ids.account_id

)

select * from final
