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
