{#-
    Conformed customers for WattzOn: one row per profile (a profile is one utility login).

    * external_id = label (the caller's own reference); utility = utility_provider_id, else the
      provider name; city/state unknown (NULL); zipcode as given on the profile.
    * WattzOn exposes no credential or terms timestamps (credentials are write-only sensitive
      fields): credentials_filled_at and terms_accepted_at are NULL. The policy's link time is
      the profile's `created` (compiled policy, not this model).
    * From the profile's last finished job (the most recently observed; NULL when none was seen):
      has_filled_credentials = false when it ended `incomplete_parameters` (agent missing
      credentials), else true (the agent had credentials to try, even if they failed);
      bills_are_ready / intervals_are_ready = the last finished job of that mode (`bill` /
      `interval`, a job of unknown mode counts for both) ended `success|partial_success`.
-#}
with

profiles as (

    select * from {{ ref('stg_wattzon__profiles') }}

),

finished_jobs as (

    select
        vendor_customer_id,
        vendor_job_id,
        mode,
        status,
        is_success,
        load_id,
        extracted_at
    from {{ ref('stg_wattzon__jobs') }}
    where is_finished

),

{%- set job_order = ['extracted_at desc nulls last', 'load_id desc nulls last', 'vendor_job_id desc'] %}

last_job as (

    {{ dedupe_latest('finished_jobs', ['vendor_customer_id'], job_order) }}

),

last_bill_job as (

    {{ dedupe_latest("(select * from finished_jobs where mode is null or mode = 'bill')", ['vendor_customer_id'], job_order) }}

),

last_interval_job as (

    {{ dedupe_latest("(select * from finished_jobs where mode is null or mode = 'interval')", ['vendor_customer_id'], job_order) }}

),

final as (

    select
        profiles.vendor,
        profiles.vendor_customer_id,
        profiles.label as external_id,
        coalesce(profiles.utility_provider_id, profiles.utility_provider) as utility,
        cast(null as {{ type_text() }}) as city,
        cast(null as {{ type_text() }}) as state,
        profiles.zipcode,
        case
            when last_job.vendor_customer_id is null then cast(null as boolean)
            when last_job.status = 'incomplete_parameters' then false
            else true
        end as has_filled_credentials,
        cast(null as {{ type_timestamp_tz() }}) as credentials_filled_at,
        cast(null as {{ type_timestamp_tz() }}) as terms_accepted_at,
        last_bill_job.is_success as bills_are_ready,
        last_interval_job.is_success as intervals_are_ready,
        profiles.load_id,
        profiles.extracted_at
    from profiles
    left join last_job
        on profiles.vendor_customer_id = last_job.vendor_customer_id
    left join last_bill_job
        on profiles.vendor_customer_id = last_bill_job.vendor_customer_id
    left join last_interval_job
        on profiles.vendor_customer_id = last_interval_job.vendor_customer_id

)

select * from final
