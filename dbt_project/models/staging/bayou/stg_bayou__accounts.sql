{#-
    Bayou has no account object: an account is an `account_numbers[].id` of a customer, so
    vendor_account_id = the account number. One row per customer and account: the accounts
    of the customer object (customer_meters) plus accounts only seen on bills.
    status: `active` when the customer has filled its utility credentials, else `pending`
    (also `pending` when the customer is not in the lake).
-#}
with

customers as (

    select * from {{ ref('stg_bayou__customers') }}

),

customer_accounts as (

    select distinct
        vendor_customer_id,
        vendor_account_id
    from {{ ref('stg_bayou__customer_meters') }}
    where vendor_account_id is not null

),

bill_accounts as (

    {{ dedupe_latest(ref('stg_bayou__bills'),
                     ['vendor_customer_id', 'vendor_account_id'],
                     ['statement_date desc nulls last', 'extracted_at desc nulls last', 'load_id desc nulls last']) }}

),

accounts as (

    select
        vendor_customer_id,
        vendor_account_id,
        cast(null as {{ type_text() }}) as bill_utility,
        cast('customer' as {{ type_text() }}) as account_source
    from customer_accounts

    union all

    select
        bill_accounts.vendor_customer_id,
        bill_accounts.vendor_account_id,
        bill_accounts.utility as bill_utility,
        cast('bills' as {{ type_text() }}) as account_source
    from bill_accounts
    left join customer_accounts
        on bill_accounts.vendor_customer_id = customer_accounts.vendor_customer_id
        and bill_accounts.vendor_account_id = customer_accounts.vendor_account_id
    where bill_accounts.vendor_account_id is not null
        and customer_accounts.vendor_account_id is null

),

final as (

    select
        cast('bayou' as {{ type_text() }}) as vendor,
        accounts.vendor_account_id,
        accounts.vendor_customer_id,
        coalesce(customers.utility, accounts.bill_utility) as utility,
        accounts.vendor_account_id as account_number,
        case
            when customers.has_filled_credentials then 'active'
            else 'pending'
        end as status,
        accounts.account_source,
        -- optional account attributes of other vendors (Arcadia: services, address, tariff, flags, features; Urjanet: statuses)
        {{ null_optional_columns('accounts') }}
    from accounts
    left join customers
        on accounts.vendor_customer_id = customers.vendor_customer_id

)

select * from final
