{#-
    Every vendor's interval readings (latest version) that the vendor still sends and that are in
    policy. A reading is withdrawn when a later load covered its time (interval_loads: the
    customer, or that meter, over [covers_start, covers_end)) without re-sending it: re-fetching
    a month replaces that month exactly. Then it is kept
    when its interval_start falls in one of its customer's policy.policy_windows rows
    (starts_at inclusive, ends_at exclusive, NULL = unbounded); every other reading is dropped.
    No rule is re-implemented here: the windows are compiled by connectors/policy.py.
-#}
with

intervals as (

    {{ union_vendor_entity('intervals') }}

),

interval_loads as (

    {{ union_vendor_entity('interval_loads') }}

),

current_readings as (

    select intervals.*
    from intervals
    where not exists (
        select 1
        from interval_loads
        where interval_loads.vendor = intervals.vendor
            and interval_loads.vendor_customer_id = intervals.vendor_customer_id
            and (interval_loads.vendor_meter_id is null or interval_loads.vendor_meter_id = intervals.vendor_meter_id)
            and intervals.interval_start >= interval_loads.covers_start
            and intervals.interval_start < interval_loads.covers_end
            and intervals.load_id < interval_loads.load_id
    )

),

in_policy as (

    select current_readings.*
    from current_readings
    where {{ in_policy_window('current_readings', 'current_readings.interval_start') }}

)

select * from in_policy
