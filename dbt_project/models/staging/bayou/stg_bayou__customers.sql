with

source as (

    {{ dedupe_latest(source('bayou', 'customers'), ['customer_id']) }}

),

renamed as (

    select
        cast('bayou' as {{ type_text() }}) as vendor,
        cast(customer_id as {{ type_text() }}) as vendor_customer_id,
        cast(external_id as {{ type_text() }}) as external_id,
        utility,
        email,
        first_name,
        last_name,
        address_line_1,
        address_line_2,
        city,
        state,
        zipcode,
        coalesce(has_filled_credentials, false) as has_filled_credentials,
        cast(has_filled_credentials_on as {{ type_timestamp_tz() }}) as credentials_filled_at,
        cast(has_accepted_terms_on as {{ type_timestamp_tz() }}) as terms_accepted_at,
        bills_are_ready,
        utility_has_intervals,
        account_has_intervals,
        intervals_are_ready,
        cast(first_interval_discovered as {{ type_timestamp_tz() }}) as first_interval_discovered_at,
        cast(last_interval_discovered as {{ type_timestamp_tz() }}) as last_interval_discovered_at,
        tags as tags_json,
        _load_id as load_id,
        cast(_extracted_at as {{ type_timestamp_tz() }}) as extracted_at

    from source

)

select * from renamed
