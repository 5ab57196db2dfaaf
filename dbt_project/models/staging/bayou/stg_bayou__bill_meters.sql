{#-
    Bayou bill meters carry neither the customer nor the gas unit: both come from the bill
    (`stg_bayou__bills`). Electric consumption is Wh (-> kWh); gas consumption is in the
    bill's `gas_consumption_unit`. Bayou has no per-meter amount (`amount` is NULL here; see
    int_bill_meters__policy_applied).
-#}
with

source as (

    {{ dedupe_latest(source('bayou', 'bill_meters'), ['bill_id', 'meter_id']) }}

),

bills as (

    select * from {{ ref('stg_bayou__bills') }}

),

renamed as (

    select
        cast(bill_id as {{ type_text() }}) as vendor_bill_id,
        cast(meter_id as {{ type_text() }}) as vendor_meter_id,
        meter_type,
        {{ normalize_commodity('meter_type') }} as commodity,
        status,
        cast(billing_period_from as date) as period_start,
        cast(billing_period_to as date) as period_end,
        consumption,
        -- `Unspecified` is what Bayou sends for locked bills: no tariff known
        case when tariff = 'Unspecified' then null else tariff end as tariff,
        address,
        coalesce(is_masked, false) as is_masked,
        _load_id as load_id,
        cast(_extracted_at as {{ type_timestamp_tz() }}) as extracted_at

    from source

),

joined as (

    select
        cast('bayou' as {{ type_text() }}) as vendor,
        renamed.vendor_bill_id,
        renamed.vendor_meter_id,
        bills.vendor_customer_id,
        bills.vendor_account_id,
        renamed.commodity,
        renamed.meter_type,
        renamed.status,
        coalesce(renamed.period_start, bills.period_start) as period_start,
        coalesce(renamed.period_end, bills.period_end) as period_end,
        cast(
            case renamed.commodity
                when 'electric' then {{ wh_to_kwh('renamed.consumption', 'decimal(20, 6)') }}
                when 'gas' then renamed.consumption
            end as decimal(20, 6)
        ) as usage,
        case renamed.commodity
            when 'electric' then 'kWh'
            when 'gas' then bills.gas_usage_unit
        end as usage_unit,
        cast(null as decimal(18, 2)) as amount,
        renamed.tariff,
        renamed.address,
        renamed.is_masked or coalesce(bills.is_masked, false) as is_masked,
        renamed.load_id,
        renamed.extracted_at

    from renamed
    left join bills
        on renamed.vendor_bill_id = bills.vendor_bill_id

)

select * from joined
