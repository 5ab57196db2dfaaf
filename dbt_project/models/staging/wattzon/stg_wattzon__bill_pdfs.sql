{#- PDFs stored for in-policy WattzOn statements, latest version of each (profile_id, bill_id). -#}
with

source as (

    {{ dedupe_latest(source('wattzon', 'bill_pdfs'), ['profile_id', 'bill_id']) }}

),

renamed as (

    select
        cast('wattzon' as {{ type_text() }}) as vendor,
        cast(profile_id as {{ type_text() }}) as vendor_customer_id,
        cast(bill_id as {{ type_text() }}) as bill_record_id,
        cast(statement_id as {{ type_text() }}) as vendor_bill_id,
        sha256 as pdf_sha256,
        size_bytes,
        path as pdf_path,
        _load_id as load_id,
        cast(_extracted_at as {{ type_timestamp_tz() }}) as extracted_at

    from source

)

select * from renamed
