{#- Vendor meter/service type -> commodity `electric|gas|water`; NULL when not recognised. -#}
{% macro normalize_commodity(column) -%}
    case lower(trim({{ column }}))
        when 'electric' then 'electric'
        when 'electricity' then 'electric'
        when 'gas' then 'gas'
        when 'natural_gas' then 'gas'
        when 'water' then 'water'
    end
{%- endmacro %}

{#- Vendor gas unit -> `therm|ccf` (Bayou sends `therms`); NULL when not recognised. -#}
{% macro normalize_gas_unit(column) -%}
    case lower(trim({{ column }}))
        when 'therms' then 'therm'
        when 'therm' then 'therm'
        when 'thm' then 'therm'
        when 'ccf' then 'ccf'
    end
{%- endmacro %}

{#-
    Vendor usage unit -> the conformed unit: energy to `kWh` (`KWh`/`kWh`, and `Wh`/`MWh`,
    which usage_in_normalized_unit converts), gas to `therm` (`therms`/`therm`/`thm`) or `ccf`;
    any other unit (water: `ccf`, `gallons`, ...) is kept, trimmed and lower-cased. NULL stays NULL.
-#}
{% macro normalize_usage_unit(column) -%}
    case
        when lower(trim({{ column }})) in ('kwh', 'wh', 'mwh') then 'kWh'
        when lower(trim({{ column }})) in ('therms', 'therm', 'thm') then 'therm'
        else lower(trim({{ column }}))
    end
{%- endmacro %}

{#-
    A usage in the vendor unit `unit_column`, expressed in normalize_usage_unit(unit_column):
    Wh * 0.001 and MWh * 1000 (exact decimal arithmetic), every other unit unchanged.
-#}
{% macro usage_in_normalized_unit(usage_column, unit_column, decimal_type='decimal(20, 6)') -%}
    cast(
        case lower(trim({{ unit_column }}))
            when 'wh' then {{ usage_column }} * 0.001
            when 'mwh' then {{ usage_column }} * 1000
            else {{ usage_column }}
        end as {{ decimal_type }})
{%- endmacro %}

{#-
    An account or meter number as Urjanet matches it: letters and digits only, upper-cased
    (`123-45 678a` -> `12345678A`); NULL when nothing is left. Dispatched: DuckDB's
    regexp_replace needs the `'g'` flag to replace every match, Spark's replaces all by default.
-#}
{% macro normalize_account_number(column) -%}
    {{ return(adapter.dispatch('normalize_account_number', 'utility_data')(column)) }}
{%- endmacro %}

{% macro default__normalize_account_number(column) -%}
    nullif(regexp_replace(upper({{ column }}), '[^A-Z0-9]', ''), '')
{%- endmacro %}

{% macro duckdb__normalize_account_number(column) -%}
    nullif(regexp_replace(upper({{ column }}), '[^A-Z0-9]', '', 'g'), '')
{%- endmacro %}

{#-
    Urjanet's account key, what identifies an account across id changes:
    `<provider alias, trimmed and lower-cased>:<normalized account number>`; NULL when either
    part is missing (the same rule as connectors/urjanet/records.py `account_key`).
-#}
{% macro urjanet_account_key(provider_alias, account_number) -%}
    case
        when nullif(trim({{ provider_alias }}), '') is not null
            and {{ normalize_account_number(account_number) }} is not null
        then {{ dbt.concat(["lower(trim(" ~ provider_alias ~ "))", "':'", normalize_account_number(account_number)]) }}
    end
{%- endmacro %}

{#-
    Urjanet service type -> commodity: `ELECTRIC` -> `electric`, `GAS` -> `gas`, `WATER` ->
    `water`, `SEWER` -> `sewer` (case-insensitive); any other type lower-cased and trimmed
    (Urjanet has more service types than the conformed three). NULL stays NULL.
-#}
{% macro urjanet_commodity(column) -%}
    case upper(trim({{ column }}))
        when 'ELECTRIC' then 'electric'
        when 'GAS' then 'gas'
        when 'WATER' then 'water'
        when 'SEWER' then 'sewer'
        else lower(trim({{ column }}))
    end
{%- endmacro %}
