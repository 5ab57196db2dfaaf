-- Every in-policy reading is counted on exactly one coverage day of its meter: per meter, the
-- coverage days' present + null readings add up to the meter's readings in fct_intervals.
with

readings as (

    select meter_key, count(*) as n_readings
    from {{ ref('fct_intervals') }}
    group by meter_key

),

covered as (

    select meter_key, sum(present_readings + null_readings) as n_readings
    from {{ ref('fct_interval_coverage') }}
    group by meter_key

)

select
    coalesce(readings.meter_key, covered.meter_key) as meter_key,
    readings.n_readings as readings,
    covered.n_readings as covered
from readings
full outer join covered
    on readings.meter_key = covered.meter_key
where readings.n_readings is null
    or covered.n_readings is null
    or readings.n_readings <> covered.n_readings
