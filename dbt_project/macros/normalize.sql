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
