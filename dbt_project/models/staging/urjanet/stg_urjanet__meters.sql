{#-
    Conformed meters for Urjanet, one row per account and meter:

    * the API's meters (meter_source `customer`): vendor_meter_id = meter_id, meter_number,
      commodity from service_type (`ELECTRIC` -> `electric`, `GAS` -> `gas`, `WATER` -> `water`,
      `SEWER` -> `sewer`, others lower-cased), meter_type = service_type as sent, tariff,
      address = service_address. vendor_account_id = the meter's account resolved to its
      current id (stg_urjanet__account_ids), vendor_customer_id = the same (the account is the
      policy's customer). Meters without an account are left out.
    * meters only seen on statements (meter_source `bills`): a statement meter (of a kept bill or
      adjustment with a known account) whose normalized number matches no API meter of the
      account; vendor_meter_id = the normalized meter number; commodity, tariff and meter_type
      from the latest such statement.

    Extra column (not conformed): normalized_meter_number, which bill meters and charges match on.
-#}
with

account_ids as (

    select account_id, current_account_id
    from {{ ref('stg_urjanet__account_ids') }}

),

api_meters as (

    select
        meters.*,
        coalesce(account_ids.current_account_id, meters.vendor_account_id) as current_account_id
    from {{ ref('stg_urjanet__utility_meters') }} as meters
    left join account_ids
        on meters.vendor_account_id = account_ids.account_id
    where meters.vendor_account_id is not null

),

from_api as (

    select
        vendor,
        vendor_meter_id,
        current_account_id as vendor_customer_id,
        current_account_id as vendor_account_id,
        meter_number,
        commodity,
        service_type as meter_type,
        tariff,
        service_address as address,
        cast('customer' as {{ type_text() }}) as meter_source,
        normalized_meter_number
    from api_meters

),

statement_meters as (

    select
        statement_meters.*,
        bills.vendor_account_id,
        bills.statement_date
    from {{ ref('stg_urjanet__statement_meters') }} as statement_meters
    inner join {{ ref('stg_urjanet__bills') }} as bills
        on statement_meters.vendor_bill_id = bills.vendor_bill_id
    where bills.vendor_account_id is not null
        and statement_meters.normalized_meter_number is not null

),

statement_only as (

    select statement_meters.*
    from statement_meters
    left join from_api
        on statement_meters.vendor_account_id = from_api.vendor_account_id
        and statement_meters.normalized_meter_number = from_api.normalized_meter_number
    where from_api.vendor_meter_id is null

),

latest_statement_meter as (

    {{ dedupe_latest('statement_only', ['vendor_account_id', 'normalized_meter_number'],
                     ['statement_date desc nulls last', 'extracted_at desc nulls last', 'vendor_bill_id desc']) }}

),

from_bills as (

    select
        vendor,
        normalized_meter_number as vendor_meter_id,
        vendor_account_id as vendor_customer_id,
        vendor_account_id,
        meter_number,
        commodity,
        service_type as meter_type,
        tariff,
        cast(null as {{ type_text() }}) as address,
        cast('bills' as {{ type_text() }}) as meter_source,
        normalized_meter_number
    from latest_statement_meter

)

select * from from_api
union all
select * from from_bills
