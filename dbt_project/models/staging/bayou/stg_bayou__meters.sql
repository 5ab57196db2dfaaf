{#-
    Conformed meters for Bayou, one row per customer and meter: the meters of the customer
    object (latest snapshot) plus meters only seen on bills. Bayou's meter id is the utility
    meter number, so meter_number = vendor_meter_id.
-#}
with

customer_meters as (

    {{ dedupe_latest(ref('stg_bayou__customer_meters'),
                     ['vendor_customer_id', 'vendor_meter_id'],
                     ['extracted_at desc nulls last', 'load_id desc nulls last']) }}

),

bill_meters as (

    {{ dedupe_latest(ref('stg_bayou__bill_meters'),
                     ['vendor_customer_id', 'vendor_meter_id'],
                     ['period_end desc nulls last', 'extracted_at desc nulls last', 'load_id desc nulls last']) }}

),

from_customers as (

    select
        vendor,
        vendor_meter_id,
        vendor_customer_id,
        vendor_account_id,
        vendor_meter_id as meter_number,
        commodity,
        meter_type,
        tariff,
        address,
        cast('customer' as {{ type_text() }}) as meter_source
    from customer_meters

),

from_bills as (

    select
        bill_meters.vendor,
        bill_meters.vendor_meter_id,
        bill_meters.vendor_customer_id,
        bill_meters.vendor_account_id,
        bill_meters.vendor_meter_id as meter_number,
        bill_meters.commodity,
        bill_meters.meter_type,
        cast(null as {{ type_text() }}) as tariff,
        bill_meters.address,
        cast('bills' as {{ type_text() }}) as meter_source
    from bill_meters
    left join from_customers
        on bill_meters.vendor_customer_id = from_customers.vendor_customer_id
        and bill_meters.vendor_meter_id = from_customers.vendor_meter_id
    where bill_meters.vendor_customer_id is not null
        and from_customers.vendor_meter_id is null

)

select * from from_customers
union all
select * from from_bills
