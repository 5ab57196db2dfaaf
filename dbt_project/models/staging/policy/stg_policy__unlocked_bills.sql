with

source as (

    select * from {{ source('policy', 'unlocked_bills') }}

),

renamed as (

    select distinct
        cast(lower(vendor) as {{ type_text() }}) as vendor,
        cast(vendor_bill_id as {{ type_text() }}) as vendor_bill_id

    from source

)

select * from renamed
