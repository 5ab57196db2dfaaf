-- Every reading in the mart must start inside one of its customer's compiled policy windows
-- (on a run given a month window, the readings of that window: the others were not touched).
select fct_intervals.*
from {{ ref('fct_intervals') }} as fct_intervals
where {{ interval_window_condition('fct_intervals.interval_start') }}
    and not exists (
        select 1
        from {{ ref('stg_policy__policy_windows') }} as w
        where w.vendor = fct_intervals.vendor
            and w.vendor_customer_id = fct_intervals.vendor_customer_id
            and (w.starts_at is null or fct_intervals.interval_start >= w.starts_at)
            and (w.ends_at is null or fct_intervals.interval_start < w.ends_at)
    )
