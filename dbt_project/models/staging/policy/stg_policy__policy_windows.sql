with

source as (

    select * from {{ source('policy', 'policy_windows') }}

),

renamed as (

    select
        cast(lower(vendor) as {{ type_text() }}) as vendor,
        cast(vendor_customer_id as {{ type_text() }}) as vendor_customer_id,
        window_kind,
        cast(starts_on as date) as starts_on,
        cast(ends_on as date) as ends_on,
        cast(starts_at as {{ type_timestamp_tz() }}) as starts_at,
        cast(ends_at as {{ type_timestamp_tz() }}) as ends_at

    from source

)

select * from renamed
