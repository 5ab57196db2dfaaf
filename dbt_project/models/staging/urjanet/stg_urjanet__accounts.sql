{#-
    Conformed accounts for Urjanet: one row per CURRENT account id (stg_urjanet__account_ids):
    an id replaced by an id change never appears; its account is the one of the current id.
    The account is also the policy's customer, so vendor_customer_id = vendor_account_id.

    * utility = provider_alias; account_number as sent; account_source `customer`.
    * status from enrollment_status: `SUCCESSFUL_ENROLLED|SUCCESSFUL_DELIVERED` -> `active`,
      `SUBMITTED|NOMINATED` -> `pending`, `NEEDS_CREDENTIAL|FAILED_LOGIN|ACCOUNT_MISSING|
      STATEMENT_MISSING|FAILED_TO_ACCESS` -> `needs_attention`, NULL -> `unknown`, any other
      status lower-cased.
    * Fills the Urjanet optional conformed account columns (NULL for the other vendors):
      enrollment / extraction / monitoring status and provider classification as sent,
      last_successful_extraction_at, next_expected_post_date, latest_total_bill_amount (cents).
    * Extra columns (not conformed, not in dim_accounts): account_key, provider_alias.
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
        accounts.vendor_account_id,
        accounts.vendor_account_id as vendor_customer_id,
        accounts.provider_alias as utility,
        accounts.account_number,
        case
            when accounts.enrollment_status is null then 'unknown'
            when upper(accounts.enrollment_status) in ('SUCCESSFUL_ENROLLED', 'SUCCESSFUL_DELIVERED') then 'active'
            when upper(accounts.enrollment_status) in ('SUBMITTED', 'NOMINATED') then 'pending'
            when upper(accounts.enrollment_status) in (
                'NEEDS_CREDENTIAL', 'FAILED_LOGIN', 'ACCOUNT_MISSING', 'STATEMENT_MISSING', 'FAILED_TO_ACCESS')
                then 'needs_attention'
            else lower(accounts.enrollment_status)
        end as status,
        cast('customer' as {{ type_text() }}) as account_source,
        -- Arcadia-only account attributes (services, address, tariff, flags, features)
        {{ null_optional_columns('accounts', except_vendor='urjanet') }},
        accounts.enrollment_status,
        accounts.extraction_status,
        accounts.monitoring_status,
        accounts.provider_classification,
        accounts.last_successful_extraction_at,
        accounts.next_expected_post_date,
        cast(accounts.latest_total_bill_amount as decimal(18, 2)) as latest_total_bill_amount,
        accounts.account_key,
        accounts.provider_alias
    from accounts
    inner join current_ids
        on accounts.vendor_account_id = current_ids.account_id

)

select * from final
