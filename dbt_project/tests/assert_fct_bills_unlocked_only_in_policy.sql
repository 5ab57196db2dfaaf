-- An unlocked bill must be in policy, not masked, and unlocked at the vendor.
select *
from {{ ref('fct_bills') }}
where not is_locked
    and (not is_in_policy or is_masked or lock_reason is not null)
