{#-
    WattzOn bill records (lake dataset `bills`), latest version of each (profile_id, bill_id,
    record_type): one row per electricity, gas, water or billing record. Named `bill_records`
    because `stg_wattzon__bills` is the conformed model (one row per statement).

    * vendor_bill_id = statement_id (`<profile_id>:<account_number>:<bill date>`): the bill.
    * vendor_meter_id (commodity records only) = meter_number, else service_id, else the
      pseudo meter `<account_number>:<record_type>` so a record without any meter id still has one.
    * period_start / period_end: dates (UTC) of start_date / end_date, else of the older agents'
      interpolated `date`.
    * usage_unit / usage: `KWh` -> `kWh` (Wh and MWh converted), `therms` -> `therm`, other units
      kept (lower-cased); raw `usage` and `units` are kept as sent.
    * amounts stay DECIMAL(18,4) as sent; the conformed models round to cents.
-#}
with

source as (

    {{ dedupe_latest(source('wattzon', 'bills'), ['profile_id', 'bill_id', 'record_type']) }}

),

renamed as (

    select
        -- ids
        cast('wattzon' as {{ type_text() }}) as vendor,
        cast(profile_id as {{ type_text() }}) as vendor_customer_id,
        cast(bill_id as {{ type_text() }}) as bill_record_id,
        record_type,
        {{ normalize_commodity('record_type') }} as commodity,
        cast(statement_id as {{ type_text() }}) as vendor_bill_id,
        cast(statement_date as date) as statement_date,
        cast(account_number as {{ type_text() }}) as vendor_account_id,
        cast(account_number as {{ type_text() }}) as account_number,
        cast(service_id as {{ type_text() }}) as service_id,
        cast(meter_number as {{ type_text() }}) as meter_number,
        case
            when {{ normalize_commodity('record_type') }} is not null
                then coalesce(
                    cast(meter_number as {{ type_text() }}),
                    cast(service_id as {{ type_text() }}),
                    {{ dbt.concat(["coalesce(cast(account_number as " ~ type_text() ~ "), '')", "':'", 'record_type']) }})
        end as vendor_meter_id,
        -- personal data (not carried to the marts, except the service address of meters)
        name as account_holder_name,
        service_address,

        -- dates
        cast(bill_date as date) as bill_date,
        cast(start_date as {{ type_timestamp_tz() }}) as start_at,
        cast(end_date as {{ type_timestamp_tz() }}) as end_at,
        cast({{ adapter.quote("date") }} as {{ type_timestamp_tz() }}) as interpolated_at,
        cast(coalesce(start_date, {{ adapter.quote("date") }}) as date) as period_start,
        cast(coalesce(end_date, {{ adapter.quote("date") }}) as date) as period_end,

        -- usage
        usage as raw_usage,
        units as raw_units,
        {{ normalize_usage_unit('units') }} as usage_unit,
        {{ usage_in_normalized_unit('usage', 'units') }} as usage,
        exported_energy,

        -- money (DECIMAL(18,4) as sent)
        currency,
        cost,
        previous_balance,
        payment_received,
        past_due_balance,
        current_charges,
        total_amount_due,
        cast(due_date as date) as due_date,
        cast(payment_date as date) as payment_date,

        retail_energy_provider,
        rate_plan,

        -- document and provenance
        pdf as pdf_api_path,
        pdf_sha256,
        pdf_sha256 is not null as has_pdf,
        cached as is_cached,
        cached_job_id,
        coalesce(is_masked, false) as is_masked,
        _load_id as load_id,
        cast(_extracted_at as {{ type_timestamp_tz() }}) as extracted_at

    from source

)

select * from renamed
