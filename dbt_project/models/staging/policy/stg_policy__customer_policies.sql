with

source as (

    select * from {{ source('policy', 'customer_policies') }}

),

renamed as (

    select
        cast(lower(vendor) as {{ type_text() }}) as vendor,
        cast(vendor_customer_id as {{ type_text() }}) as vendor_customer_id,
        cast(linked_at as {{ type_timestamp_tz() }}) as linked_at,
        link_source,
        cast(lower(history) as {{ type_text() }}) as history_policy,
        continuous as continuous_policy,
        policy_sha256

    from source

)

select * from renamed
