{#-
    Conformed customers for Arcadia: one row per utility CREDENTIAL (the policy's customer,
    linked at the credential's created_at), vendor_customer_id = credential_id.

    * external_id = client_user_id (the caller's own user id); utility = utility_name.
    * city / state / zipcode NULL: the service address belongs to each account (dim_accounts),
      and one credential's accounts may be at several addresses.
    * has_filled_credentials = verification_status = 'verified'; credentials_filled_at = the
      credential's created_at (when the login was given to Arc); terms_accepted_at NULL (Arc
      has no terms timestamp).
    * bills_are_ready / intervals_are_ready: Arc's own feature availability, true when one of
      the credential's accounts has `utility_statements` / `utility_intervals` = `AVAILABLE`,
      false when it has accounts and none has; NULL when no account is known yet.
-#}
with

credentials as (

    select * from {{ ref('stg_arcadia__utility_credentials') }}

),

account_features as (

    select
        vendor_customer_id,
        max(case when feature_utility_statements = 'AVAILABLE' then 1 else 0 end) as has_statements,
        max(case when feature_utility_intervals = 'AVAILABLE' then 1 else 0 end) as has_intervals
    from {{ ref('stg_arcadia__utility_accounts') }}
    where vendor_customer_id is not null
    group by vendor_customer_id

),

final as (

    select
        credentials.vendor,
        credentials.vendor_customer_id,
        credentials.client_user_id as external_id,
        credentials.utility_name as utility,
        cast(null as {{ type_text() }}) as city,
        cast(null as {{ type_text() }}) as state,
        cast(null as {{ type_text() }}) as zipcode,
        coalesce(credentials.verification_status = 'verified', false) as has_filled_credentials,
        credentials.created_at as credentials_filled_at,
        cast(null as {{ type_timestamp_tz() }}) as terms_accepted_at,
        case when account_features.vendor_customer_id is not null
            then account_features.has_statements = 1 end as bills_are_ready,
        case when account_features.vendor_customer_id is not null
            then account_features.has_intervals = 1 end as intervals_are_ready,
        credentials.load_id,
        credentials.extracted_at
    from credentials
    left join account_features
        on credentials.vendor_customer_id = account_features.vendor_customer_id

)

select * from final
