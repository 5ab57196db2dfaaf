{#-
    The check that reports the difference: every bill meter whose complete interval readings do
    not add up to the billed usage within the tolerance (fct_interval_reconciliation status
    `mismatch`), with the difference. A warning, not an error: a utility's re-bill, an estimated
    read or a vendor's data problem shows here without stopping the pipeline.
-#}
{{ config(severity='warn') }}

select
    vendor,
    vendor_customer_id,
    vendor_bill_id,
    vendor_meter_id,
    period_start,
    period_end,
    billed_usage_kwh,
    interval_usage_kwh,
    usage_difference_kwh,
    relative_difference,
    tolerance_kwh
from {{ ref('fct_interval_reconciliation') }}
where status = 'mismatch'
