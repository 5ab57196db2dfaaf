with

source as (

    {{ dedupe_latest(source('bayou', 'utilities'), ['utility_id']) }}

),

renamed as (

    select
        cast('bayou' as {{ type_text() }}) as vendor,
        cast(utility_id as {{ type_text() }}) as vendor_utility_id,
        name as utility_name,
        supports_intervals,
        _load_id as load_id,
        cast(_extracted_at as {{ type_timestamp_tz() }}) as extracted_at

    from source

)

select * from renamed
