{#-
    Multi-vendor plumbing. The only list of vendors is the `utility_vendors` var in
    dbt_project.yml: {vendor: [conformed entities it provides]}.
-#}

{#- Vendors (sorted) that provide a conformed entity. -#}
{% macro vendors_for_entity(entity) -%}
    {%- set configured = var('utility_vendors', {}) -%}
    {%- set vendors = [] -%}
    {%- for vendor in configured | sort -%}
        {%- if entity in configured[vendor] -%}
            {%- do vendors.append(vendor) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(vendors) }}
{%- endmacro %}

{#- All configured vendor names (sorted). -#}
{% macro configured_vendors() -%}
    {{ return(var('utility_vendors', {}) | sort) }}
{%- endmacro %}

{#-
    The columns every vendor's conformed staging model `stg_<vendor>__<entity>` must output,
    in this order. Intermediate and mart models only read these columns.
-#}
{% macro conformed_columns(entity) -%}
    {%- set columns = {
        'customers': [
            'vendor', 'vendor_customer_id', 'external_id', 'utility', 'city', 'state', 'zipcode',
            'has_filled_credentials', 'credentials_filled_at', 'terms_accepted_at',
            'bills_are_ready', 'intervals_are_ready', 'load_id', 'extracted_at'],
        'accounts': [
            'vendor', 'vendor_account_id', 'vendor_customer_id', 'utility', 'account_number',
            'status', 'account_source'] + optional_column_names('accounts'),
        'meters': [
            'vendor', 'vendor_meter_id', 'vendor_customer_id', 'vendor_account_id', 'meter_number',
            'commodity', 'meter_type', 'tariff', 'address', 'meter_source'],
        'bills': [
            'vendor', 'vendor_bill_id', 'external_id', 'vendor_customer_id', 'customer_external_id',
            'vendor_account_id', 'account_number', 'utility', 'statement_date', 'period_start',
            'period_end', 'due_date', 'status', 'is_vendor_unlocked', 'is_masked', 'currency', 'total_amount',
            'outstanding_balance', 'electricity_amount', 'delivery_charge', 'supply_charge',
            'community_solar_bill_credit', 'gas_amount', 'electricity_usage_kwh', 'gas_usage',
            'gas_usage_unit', 'has_pdf'] + optional_column_names('bills')
            + ['load_id', 'extracted_at'],
        'bill_meters': [
            'vendor', 'vendor_bill_id', 'vendor_meter_id', 'vendor_customer_id', 'vendor_account_id',
            'commodity', 'meter_type', 'status', 'period_start', 'period_end', 'usage',
            'usage_unit', 'amount', 'tariff', 'is_masked', 'load_id', 'extracted_at'],
        'intervals': [
            'vendor', 'vendor_customer_id', 'vendor_meter_id', 'commodity', 'interval_start',
            'interval_end', 'time_zone', 'usage', 'unit', 'generation_kwh', 'net_usage_kwh', 'demand_kw',
            'has_conflict', 'conflicting_fields', 'load_id', 'extracted_at'],
        'interval_meters': [
            'vendor', 'vendor_customer_id', 'vendor_meter_id', 'commodity', 'time_zone',
            'first_reading_start', 'last_reading_start'],
        'interval_loads': [
            'vendor', 'vendor_customer_id', 'vendor_meter_id', 'covers_start', 'covers_end', 'readings',
            'load_id'],
        'quarantine': [
            'vendor', 'entity', 'record_id', 'raw_record', 'reason', 'load_id', 'extracted_at'],
        'credentials': [
            'vendor', 'vendor_credential_id', 'vendor_customer_id', 'client_user_id', 'utility_name',
            'verification_status', 'verification_updated_at', 'accounts_load_in_progress',
            'created_at', 'updated_at'] + optional_column_names('credentials')
            + ['load_id', 'extracted_at'],
        'bill_charges': [
            'vendor', 'vendor_bill_id', 'line_number', 'vendor_meter_id', 'vendor_customer_id',
            'vendor_account_id', 'commodity', 'charge_name', 'amount', 'units_used', 'rate_per_unit',
            'usage_unit', 'period_start', 'period_end', 'is_masked', 'load_id', 'extracted_at'],
        'account_events': [
            'vendor', 'vendor_event_id', 'event_time', 'event_name', 'username', 'vendor_customer_id',
            'vendor_account_id', 'account_number', 'provider_alias', 'old_status', 'new_status',
            'old_account_id', 'new_account_id', 'event_fields', 'load_id', 'extracted_at'],
    } -%}
    {%- if entity not in columns -%}
        {{ exceptions.raise_compiler_error("conformed_columns: unknown entity '" ~ entity ~ "'") }}
    {%- endif -%}
    {{ return(columns[entity]) }}
{%- endmacro %}

{#-
    UNION ALL of `stg_<vendor>__<entity>` over every vendor that provides `entity`,
    selecting the conformed columns explicitly (unions are positional in SQL).
-#}
{% macro union_vendor_entity(entity, columns=none) -%}
    {%- set columns = columns or conformed_columns(entity) -%}
    {%- set vendors = vendors_for_entity(entity) -%}
    {%- if vendors | length == 0 -%}
        {{ exceptions.raise_compiler_error("union_vendor_entity: no vendor in var 'utility_vendors' provides '" ~ entity ~ "'") }}
    {%- endif -%}
    {%- for vendor in vendors %}
    select
        {{ columns | join(',\n        ') }}
    from {{ ref('stg_' ~ vendor ~ '__' ~ entity) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}

{#-
    Conformed columns that only some vendors fill, as [name, type, vendor] triples (vendor = the
    one that fills it), in their conformed_columns order: Arcadia's account attributes and
    statement flags, Urjanet's account statuses, statement type and balances, and credential
    (extraction channel) details. The conformed models of the other vendors output them as typed
    NULLs with `null_optional_columns(entity)`; a vendor that fills some of them passes its name
    (`null_optional_columns(entity, except_vendor='arcadia')`) to get NULLs for the others only.
-#}
{% macro optional_conformed_columns(entity) -%}
    {%- set columns = {
        'accounts': [
            ['services', type_text(), 'arcadia'],
            ['service_address_street_one', type_text(), 'arcadia'],
            ['service_address_street_two', type_text(), 'arcadia'],
            ['service_address_city', type_text(), 'arcadia'],
            ['service_address_state', type_text(), 'arcadia'],
            ['service_address_zip', type_text(), 'arcadia'],
            ['tariff_code', type_text(), 'arcadia'],
            ['tariff_name', type_text(), 'arcadia'],
            ['tariff_main_id', type_text(), 'arcadia'],
            ['tariff_supplier_name', type_text(), 'arcadia'],
            ['tariff_as_of_date', 'date', 'arcadia'],
            ['flags', type_text(), 'arcadia'],
            ['feature_charge_cost', type_text(), 'arcadia'],
            ['feature_smart_charge', type_text(), 'arcadia'],
            ['feature_utility_intervals', type_text(), 'arcadia'],
            ['feature_utility_statements', type_text(), 'arcadia'],
            ['feature_hosted_payments', type_text(), 'arcadia'],
            ['feature_utility_remittance', type_text(), 'arcadia'],
            ['enrollment_status', type_text(), 'urjanet'],
            ['extraction_status', type_text(), 'urjanet'],
            ['monitoring_status', type_text(), 'urjanet'],
            ['provider_classification', type_text(), 'urjanet'],
            ['last_successful_extraction_at', type_timestamp_tz(), 'urjanet'],
            ['next_expected_post_date', type_timestamp_tz(), 'urjanet'],
            ['latest_total_bill_amount', 'decimal(18, 2)', 'urjanet']],
        'bills': [
            ['is_past_due', 'boolean', 'arcadia'],
            ['is_final_bill', 'boolean', 'arcadia'],
            ['billing_flags', type_text(), 'arcadia'],
            ['bill_type', type_text(), 'urjanet'],
            ['amount_due', 'decimal(18, 2)', 'urjanet'],
            ['new_charges', 'decimal(18, 2)', 'urjanet'],
            ['previous_balance', 'decimal(18, 2)', 'urjanet']],
        'credentials': [
            ['extraction_channel_id', type_text(), 'urjanet'],
            ['provider_alias', type_text(), 'urjanet'],
            ['acquisition_type', type_text(), 'urjanet'],
            ['is_enabled', 'boolean', 'urjanet'],
            ['message', type_text(), 'urjanet'],
            ['last_attempted_at', type_timestamp_tz(), 'urjanet'],
            ['last_success_at', type_timestamp_tz(), 'urjanet']],
    } -%}
    {{ return(columns.get(entity, [])) }}
{%- endmacro %}

{#-
    `cast(null as <type>) as <name>` for every optional conformed column of `entity`,
    comma-separated; with except_vendor, only for the columns that vendor does not fill itself.
-#}
{% macro null_optional_columns(entity, except_vendor=none) -%}
    {%- set columns = [] -%}
    {%- for column in optional_conformed_columns(entity) -%}
        {%- if except_vendor is none or column[2] != except_vendor -%}
            {%- do columns.append(column) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for column in columns -%}
        cast(null as {{ column[1] }}) as {{ column[0] }}{% if not loop.last %},
        {% endif %}
    {%- endfor -%}
{%- endmacro %}

{#- Names of optional_conformed_columns(entity). -#}
{% macro optional_column_names(entity) -%}
    {%- set names = [] -%}
    {%- for column in optional_conformed_columns(entity) -%}
        {%- do names.append(column[0]) -%}
    {%- endfor -%}
    {{ return(names) }}
{%- endmacro %}
