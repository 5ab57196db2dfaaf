{#-
    Conformed meters for WattzOn, one row per profile and meter:

    * meters of the electricity / gas / water bill records (meter_source `bills`):
      vendor_meter_id = meter_number, else service_id (else the pseudo meter
      `<account_number>:<record_type>`, see stg_wattzon__bill_records); account, commodity and
      meter_type (the record type) from the latest record (statement date); tariff = the latest
      rate_plan and address = the latest service_address that are not NULL (masked records
      carry neither);
    * meters only seen in interval data (meter_source `intervals`): the meter_id of the fetched
      monthly interval files (stg_wattzon__interval_periods), commodity `electric` (WattzOn
      intervals are kWh), no account, meter_number = the meter id. Mock providers name their
      interval meter `__mock_meter__<profile_id>`, unlike the meter_number of their bills: both
      are kept, as two meters. (dim_meters also adds any meter of the in-policy readings that
      has no period row.)
-#}
with

records as (

    select
        vendor_customer_id,
        vendor_meter_id,
        vendor_account_id,
        meter_number,
        commodity,
        record_type,
        rate_plan,
        service_address,
        statement_date,
        load_id,
        extracted_at
    from {{ ref('stg_wattzon__bill_records') }}
    where commodity is not null
        and vendor_meter_id is not null

),

{%- set latest_first = ['statement_date desc nulls last', 'extracted_at desc nulls last', 'load_id desc nulls last'] %}

latest_record as (

    {{ dedupe_latest('records', ['vendor_customer_id', 'vendor_meter_id'], latest_first) }}

),

latest_tariff as (

    {{ dedupe_latest('(select * from records where rate_plan is not null)', ['vendor_customer_id', 'vendor_meter_id'], latest_first) }}

),

latest_address as (

    {{ dedupe_latest('(select * from records where service_address is not null)', ['vendor_customer_id', 'vendor_meter_id'], latest_first) }}

),

from_bills as (

    select
        cast('wattzon' as {{ type_text() }}) as vendor,
        latest_record.vendor_meter_id,
        latest_record.vendor_customer_id,
        latest_record.vendor_account_id,
        latest_record.meter_number,
        latest_record.commodity,
        latest_record.record_type as meter_type,
        latest_tariff.rate_plan as tariff,
        latest_address.service_address as address,
        cast('bills' as {{ type_text() }}) as meter_source
    from latest_record
    left join latest_tariff
        on latest_record.vendor_customer_id = latest_tariff.vendor_customer_id
        and latest_record.vendor_meter_id = latest_tariff.vendor_meter_id
    left join latest_address
        on latest_record.vendor_customer_id = latest_address.vendor_customer_id
        and latest_record.vendor_meter_id = latest_address.vendor_meter_id

),

interval_meters as (

    select distinct
        vendor_customer_id,
        vendor_meter_id
    from {{ ref('stg_wattzon__interval_periods') }}
    where vendor_meter_id is not null

),

from_intervals as (

    select
        cast('wattzon' as {{ type_text() }}) as vendor,
        interval_meters.vendor_meter_id,
        interval_meters.vendor_customer_id,
        cast(null as {{ type_text() }}) as vendor_account_id,
        interval_meters.vendor_meter_id as meter_number,
        cast('electric' as {{ type_text() }}) as commodity,
        cast(null as {{ type_text() }}) as meter_type,
        cast(null as {{ type_text() }}) as tariff,
        cast(null as {{ type_text() }}) as address,
        cast('intervals' as {{ type_text() }}) as meter_source
    from interval_meters
    left join from_bills
        on interval_meters.vendor_customer_id = from_bills.vendor_customer_id
        and interval_meters.vendor_meter_id = from_bills.vendor_meter_id
    where from_bills.vendor_meter_id is null

)

select * from from_bills
union all
select * from from_intervals
