{#-
    Arc utility statements (lake dataset `statements`), latest version of each statement_id.
    One statement per utility account and statement date. Money kept DECIMAL(18,4) as sent.
    tariff_code: the statement's `tariff` when it is a name, its `tariff_code` (else
    `tariff_name`) when it is a JSON object. Statements outside the policy at ingestion carry
    ids and dates only (`is_masked`).
-#}
with

source as (

    {{ dedupe_latest(source('arcadia', 'statements'), ['statement_id']) }}

),

renamed as (

    select
        cast('arcadia' as {{ type_text() }}) as vendor,
        cast(statement_id as {{ type_text() }}) as vendor_bill_id,
        cast(credential_id as {{ type_text() }}) as vendor_customer_id,
        cast(client_user_id as {{ type_text() }}) as client_user_id,
        cast(account_id as {{ type_text() }}) as vendor_account_id,
        utility_name,
        tariff as tariff_raw,
        case
            when substring(trim(tariff), 1, 1) = '{' then coalesce(
                {{ json_text_field('tariff', 'tariff_code') }},
                {{ json_text_field('tariff', 'tariff_name') }})
            else tariff
        end as tariff_code,
        cast(statement_date as date) as statement_date,
        cast(due_date as date) as due_date,
        cast(service_start_date as date) as period_start,
        cast(service_end_date as date) as period_end,
        service_window_inclusive_of_end_date as is_period_end_inclusive,
        cast(kwh as decimal(20, 6)) as usage_kwh,
        cast(utility_charge as decimal(18, 4)) as utility_charge,
        cast(supplier_charge as decimal(18, 4)) as supplier_charge,
        cast(gas_charge as decimal(18, 4)) as gas_charge,
        past_due as is_past_due,
        final_bill as is_final_bill,
        coalesce(has_pdf, false) as has_pdf,
        billing_flags,
        cast(created_at as {{ type_timestamp_tz() }}) as created_at,
        cast(updated_at as {{ type_timestamp_tz() }}) as updated_at,
        sandboxed as is_sandboxed,
        coalesce(is_masked, false) as is_masked,
        _load_id as load_id,
        cast(_extracted_at as {{ type_timestamp_tz() }}) as extracted_at

    from source

)

select * from renamed
