-- Every charge line of a known statement belongs to a bill of fct_bills or an adjustment of
-- fct_bill_adjustments, as its bill_type says (lines of an unknown bill are locked `bill_not_found`).
select fct_bill_charges.*
from {{ ref('fct_bill_charges') }} as fct_bill_charges
where coalesce(lock_reason, '') <> 'bill_not_found'
    and not (
        (bill_type = 'bill' and exists (
            select 1 from {{ ref('fct_bills') }} as fct_bills
            where fct_bills.bill_key = fct_bill_charges.bill_key))
        or (bill_type = 'adjustment' and exists (
            select 1 from {{ ref('fct_bill_adjustments') }} as fct_bill_adjustments
            where fct_bill_adjustments.bill_key = fct_bill_charges.bill_key))
    )
