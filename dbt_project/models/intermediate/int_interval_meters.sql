{#-
    Every vendor's interval meters (conformed entity `interval_meters`: one row per customer and
    meter seen in landed readings, with its commodity, local zone where the vendor gives one, and
    reading span), kept when the meter's span overlaps one of its customer's policy windows.
    A cheap aggregate over the lake instead of a scan of every deduplicated in-policy reading:
    a meter is listed when its landed readings span a policy window, which (readings are landed
    only in policy, and the windows of a customer are contiguous) is when it has in-policy readings.
-#}
with

interval_meters as (

    {{ union_vendor_entity('interval_meters') }}

),

policy_windows as (

    select * from {{ ref('stg_policy__policy_windows') }}

),

final as (

    select interval_meters.*
    from interval_meters
    where exists (
        select 1
        from policy_windows
        where policy_windows.vendor = interval_meters.vendor
            and policy_windows.vendor_customer_id = interval_meters.vendor_customer_id
            and (policy_windows.starts_at is null or interval_meters.last_reading_start >= policy_windows.starts_at)
            and (policy_windows.ends_at is null or interval_meters.first_reading_start < policy_windows.ends_at)
    )

)

select * from final
