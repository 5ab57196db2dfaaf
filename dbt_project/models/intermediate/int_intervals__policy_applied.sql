{#-
    Every vendor's interval readings (latest version) that are in policy: a reading is kept
    when its interval_start falls in one of its customer's policy.policy_windows rows
    (starts_at inclusive, ends_at exclusive, NULL = unbounded); every other reading is dropped.
    No rule is re-implemented here: the windows are compiled by connectors/policy.py.
-#}
with

intervals as (

    {{ union_vendor_entity('intervals') }}

),

policy_windows as (

    select * from {{ ref('stg_policy__policy_windows') }}

),

in_policy as (

    select intervals.*
    from intervals
    where exists (
        select 1
        from policy_windows
        where policy_windows.vendor = intervals.vendor
            and policy_windows.vendor_customer_id = intervals.vendor_customer_id
            and (policy_windows.starts_at is null or intervals.interval_start >= policy_windows.starts_at)
            and (policy_windows.ends_at is null or intervals.interval_start < policy_windows.ends_at)
    )

)

select * from in_policy
