{#-
    Urjanet accounts (lake dataset `accounts`), latest version of each account_id: every id ever
    landed, including ids an id change replaced (see stg_urjanet__account_ids for the current
    id of each). account_key (`<provider alias lower-cased>:<normalized account number>`) is
    what identifies the account across id changes. customer_id is renamed urjanet_customer_id:
    it is Urjanet's API tenant, not the policy's customer. Named after the API's
    `utilityAccount` because stg_urjanet__accounts is the conformed model.
-#}
with

source as (

    {{ dedupe_latest(source('urjanet', 'accounts'), ['account_id']) }}

),

renamed as (

    select
        cast('urjanet' as {{ type_text() }}) as vendor,
        cast(account_id as {{ type_text() }}) as vendor_account_id,
        account_key,
        cast(customer_id as {{ type_text() }}) as urjanet_customer_id,
        cast(account_number as {{ type_text() }}) as account_number,
        normalized_account_number,
        summary_account_number,
        is_summary_account,
        cast(provider_id as {{ type_text() }}) as provider_id,
        provider_alias,
        enrollment_status,
        extraction_status,
        monitoring_status,
        provider_classification,
        message,
        subscribed as is_subscribed,
        pull_history as is_pull_history,
        to_be_delivered as is_to_be_delivered,
        cast(first_extract_date as {{ type_timestamp_tz() }}) as first_extract_at,
        cast(last_extracted as {{ type_timestamp_tz() }}) as last_extracted_at,
        cast(last_successful_extraction as {{ type_timestamp_tz() }}) as last_successful_extraction_at,
        cast(last_delivered as {{ type_timestamp_tz() }}) as last_delivered_at,
        cast(next_expected_post_date as {{ type_timestamp_tz() }}) as next_expected_post_date,
        next_expected_confidence,
        cast(latest_interval_end as {{ type_timestamp_tz() }}) as latest_interval_end_at,
        cast(latest_total_bill_amount as decimal(18, 4)) as latest_total_bill_amount,
        cast(latest_statement_create as {{ type_timestamp_tz() }}) as latest_statement_created_at,
        cast(last_successful_credential_id as {{ type_text() }}) as last_successful_credential_id,
        credential_ids,
        custom_attributes,
        cast(created as {{ type_timestamp_tz() }}) as created_at,
        cast(modified as {{ type_timestamp_tz() }}) as modified_at,
        created_by_username,
        last_modified_by_username,
        _load_id as load_id,
        cast(_extracted_at as {{ type_timestamp_tz() }}) as extracted_at

    from source

)

select * from renamed
