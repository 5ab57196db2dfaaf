{#-
    Conformed accounts for WattzOn, derived: WattzOn has no account object; an account is an
    `account_number` seen on a profile's bill records (vendor_account_id = the account number),
    one row per profile and account. utility = the profile's.

    status, from the profile's last finished job (the most recently observed):
    `success|partial_success` -> `active`; `credential_error|action_needed` -> `needs_attention`;
    any other code -> the code as WattzOn sends it (`unknown` when it sent none); no finished
    job seen -> `pending`.
-#}
with

bill_accounts as (

    select distinct
        vendor_customer_id,
        vendor_account_id
    from {{ ref('stg_wattzon__bill_records') }}
    where vendor_account_id is not null

),

profiles as (

    select * from {{ ref('stg_wattzon__profiles') }}

),

finished_jobs as (

    select vendor_customer_id, vendor_job_id, status, load_id, extracted_at
    from {{ ref('stg_wattzon__jobs') }}
    where is_finished

),

last_job as (

    {{ dedupe_latest('finished_jobs', ['vendor_customer_id'],
                     ['extracted_at desc nulls last', 'load_id desc nulls last', 'vendor_job_id desc']) }}

),

final as (

    select
        cast('wattzon' as {{ type_text() }}) as vendor,
        bill_accounts.vendor_account_id,
        bill_accounts.vendor_customer_id,
        coalesce(profiles.utility_provider_id, profiles.utility_provider) as utility,
        bill_accounts.vendor_account_id as account_number,
        case
            when last_job.vendor_customer_id is null then 'pending'
            when last_job.status in ('success', 'partial_success') then 'active'
            when last_job.status in ('credential_error', 'action_needed') then 'needs_attention'
            else coalesce(last_job.status, 'unknown')
        end as status,
        cast('bills' as {{ type_text() }}) as account_source,
        -- optional account attributes of other vendors (Arcadia: services, address, tariff, flags, features; Urjanet: statuses)
        {{ null_optional_columns('accounts') }}
    from bill_accounts
    left join profiles
        on bill_accounts.vendor_customer_id = profiles.vendor_customer_id
    left join last_job
        on bill_accounts.vendor_customer_id = last_job.vendor_customer_id

)

select * from final
