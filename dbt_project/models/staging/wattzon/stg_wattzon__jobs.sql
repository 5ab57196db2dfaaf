{#-
    WattzOn extraction jobs, latest observation of each job_id. Completion is `finished` only
    (WattzOn adds status codes without notice); is_success = finished with status
    `success|partial_success`.
-#}
with

source as (

    {{ dedupe_latest(source('wattzon', 'jobs'), ['job_id']) }}

),

renamed as (

    select
        cast('wattzon' as {{ type_text() }}) as vendor,
        cast(job_id as {{ type_text() }}) as vendor_job_id,
        cast(profile_id as {{ type_text() }}) as vendor_customer_id,
        mode,
        job_status,
        status,
        coalesce(finished, false) as is_finished,
        coalesce(finished, false) and coalesce(status in ('success', 'partial_success'), false) as is_success,
        detail,
        source as job_source,
        new_records,
        existing_records,
        _load_id as load_id,
        cast(_extracted_at as {{ type_timestamp_tz() }}) as extracted_at

    from source

)

select * from renamed
