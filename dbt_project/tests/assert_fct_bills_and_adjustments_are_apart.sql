-- A statement is a bill (fct_bills) or an adjustment (fct_bill_adjustments), never both, and an
-- adjustment has no bill meters: its usage correction is not counted in the bills' usage.
select 'bill and adjustment' as problem, fct_bills.bill_key
from {{ ref('fct_bills') }} as fct_bills
inner join {{ ref('fct_bill_adjustments') }} as fct_bill_adjustments
    on fct_bills.bill_key = fct_bill_adjustments.bill_key

union all

select 'adjustment with bill meters' as problem, fct_bill_meters.bill_key
from {{ ref('fct_bill_meters') }} as fct_bill_meters
inner join {{ ref('fct_bill_adjustments') }} as fct_bill_adjustments
    on fct_bill_meters.bill_key = fct_bill_adjustments.bill_key
