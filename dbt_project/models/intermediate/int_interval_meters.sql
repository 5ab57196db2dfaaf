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

final as (

    select interval_meters.*
    from interval_meters
    where {{ in_policy_window('interval_meters', 'interval_meters.first_reading_start', 'interval_meters.last_reading_start') }}

)

select * from final
