{#-
    Urjanet account id resolution (a helper of the conformed models, not a lake dataset): one row
    per account id ever landed (and per replaced id of stg_urjanet__account_id_changes) with the
    CURRENT id of that account. Urjanet account ids can change; the lake keeps the old rows.

    * An id is current unless account_id_changes lists it as an old_account_id (the ingestion's
      rule, connectors/urjanet/sync.py `current_accounts`). A current id resolves to itself.
    * A replaced id resolves to a current account of its account_key (provider alias +
      normalized account number), its direct replacement (new_account_id) first, else the
      earliest created; when no current account has its key, to its direct replacement as landed.
    * Two current ids of one account_key (summary accounts fetched together) stay two accounts.

    Consumers: an id (meters, statements, change events) -> current_account_id here; an
    account_key alone (unmatched statements, change events) -> the current rows of its key
    (is_current), earliest created first.
-#}
with

accounts as (

    select
        vendor_account_id,
        account_key,
        created_at
    from {{ ref('stg_urjanet__utility_accounts') }}

),

changes as (

    select
        old_account_id,
        new_account_id,
        account_key,
        changed_at
    from {{ ref('stg_urjanet__account_id_changes') }}
    where old_account_id is not null

),

replaced as (

    select distinct old_account_id
    from changes

),

known_ids as (

    select
        accounts.vendor_account_id as account_id,
        accounts.account_key,
        accounts.created_at,
        replaced.old_account_id is null as is_current
    from accounts
    left join replaced
        on accounts.vendor_account_id = replaced.old_account_id

    union all

    -- replaced ids that never landed as accounts
    select
        changes.old_account_id as account_id,
        max(changes.account_key) as account_key,
        cast(null as {{ type_timestamp_tz() }}) as created_at,
        false as is_current
    from changes
    left join accounts
        on changes.old_account_id = accounts.vendor_account_id
    where accounts.vendor_account_id is null
    group by changes.old_account_id

),

current_accounts as (

    select * from known_ids where is_current

),

candidates as (

    -- the direct replacement, when it is current
    select
        changes.old_account_id as account_id,
        current_accounts.account_id as current_account_id,
        0 as preference,
        current_accounts.created_at
    from changes
    inner join current_accounts
        on changes.new_account_id = current_accounts.account_id

    union all

    -- any current account of the replaced id's account_key
    select
        known_ids.account_id,
        current_accounts.account_id as current_account_id,
        1 as preference,
        current_accounts.created_at
    from known_ids
    inner join current_accounts
        on known_ids.account_key = current_accounts.account_key
    where not known_ids.is_current

),

best_candidate as (

    {{ dedupe_latest('candidates', ['account_id'],
                     ['preference', 'created_at asc nulls last', 'current_account_id']) }}

),

direct_replacement as (

    {{ dedupe_latest('changes', ['old_account_id'], ['changed_at desc nulls last', 'new_account_id desc']) }}

),

final as (

    select
        cast('urjanet' as {{ type_text() }}) as vendor,
        known_ids.account_id,
        known_ids.account_key,
        known_ids.created_at,
        known_ids.is_current,
        case
            when known_ids.is_current then known_ids.account_id
            else coalesce(best_candidate.current_account_id, direct_replacement.new_account_id)
        end as current_account_id
    from known_ids
    left join best_candidate
        on known_ids.account_id = best_candidate.account_id
    left join direct_replacement
        on known_ids.account_id = direct_replacement.old_account_id

)

select * from final
