{#-
    Urjanet delivered statements (lake dataset `statements`), latest read of each statement_id
    (`_extracted_at`, then `_load_id`: a file read again, e.g. once its unmatched statements
    match an account, lands them again). Bills and adjustments alike, re-published statements
    included (a new id for the same provider, account number and statement date): the conformed
    stg_urjanet__bills keeps the latest delivery and tells adjustments apart. account_id is the
    account matched at ingestion (may be an id that changed since, or NULL). Money DECIMAL(18,4)
    as sent. Statements outside the policy at ingestion carry ids and dates only (`is_masked`).
-#}
with

source as (

    {{ dedupe_latest(source('urjanet', 'statements'), ['statement_id']) }}

),

renamed as (

    select
        cast('urjanet' as {{ type_text() }}) as vendor,
        cast(statement_id as {{ type_text() }}) as vendor_bill_id,
        delivery_file,
        cast(delivered_at as {{ type_timestamp_tz() }}) as delivered_at,
        provider_alias,
        cast(account_number as {{ type_text() }}) as account_number,
        normalized_account_number,
        account_key,
        cast(account_id as {{ type_text() }}) as vendor_account_id,
        lower(statement_type) as statement_type,
        cast(statement_date as date) as statement_date,
        cast(interval_start as date) as period_start,
        cast(interval_end as date) as period_end,
        cast(due_date as date) as due_date,
        currency,
        cast(total_bill_amount as decimal(18, 4)) as total_bill_amount,
        cast(amount_due as decimal(18, 4)) as amount_due,
        cast(new_charges as decimal(18, 4)) as new_charges,
        cast(outstanding_balance as decimal(18, 4)) as outstanding_balance,
        cast(previous_balance as decimal(18, 4)) as previous_balance,
        coalesce(is_masked, false) as is_masked,
        _load_id as load_id,
        cast(_extracted_at as {{ type_timestamp_tz() }}) as extracted_at

    from source

)

select * from renamed
