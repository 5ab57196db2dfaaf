{#- The monthly WattzOn interval files as last fetched, latest version of each (profile_id, meter_id, month_id). -#}
with

source as (

    {{ dedupe_latest(source('wattzon', 'interval_periods'), ['profile_id', 'meter_id', 'month_id']) }}

),

renamed as (

    select
        cast('wattzon' as {{ type_text() }}) as vendor,
        cast(profile_id as {{ type_text() }}) as vendor_customer_id,
        cast(meter_id as {{ type_text() }}) as vendor_meter_id,
        month_id,
        cast(first_interval as {{ type_timestamp_tz() }}) as first_interval_at,
        cast(last_interval as {{ type_timestamp_tz() }}) as last_interval_at,
        coalesce(complete, false) as is_complete,
        cast(extraction_time as {{ type_timestamp_tz() }}) as vendor_extracted_at,
        source_file_size,
        cast(job_id_extracted as {{ type_text() }}) as vendor_job_id,
        readings_landed,
        _load_id as load_id,
        cast(_extracted_at as {{ type_timestamp_tz() }}) as extracted_at

    from source

)

select * from renamed
