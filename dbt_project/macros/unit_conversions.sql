{#-
    Unit conversions used by staging. Decimal conversions multiply by a decimal literal
    (exact in DuckDB and Spark; dividing a DECIMAL by an integer yields DOUBLE in DuckDB).
-#}

{#- Integer cents -> currency units as DECIMAL(precision, scale), e.g. 4599 -> 45.99. -#}
{% macro cents_to_currency(column, precision=18, scale=2) -%}
    cast(cast({{ column }} as decimal(38, 0)) * 0.01 as decimal({{ precision }}, {{ scale }}))
{%- endmacro %}

{#-
    Watt-hours -> kilowatt-hours.
    decimal_type none: DOUBLE result (interval readings are float64 in the lake);
    decimal_type e.g. 'decimal(20, 6)': exact decimal result (bills).
-#}
{% macro wh_to_kwh(column, decimal_type=none) -%}
    {%- if decimal_type -%}
        cast({{ column }} * 0.001 as {{ decimal_type }})
    {%- else -%}
        cast({{ column }} as {{ type_double() }}) / 1000
    {%- endif -%}
{%- endmacro %}

{#- Watts -> kilowatts (DOUBLE). -#}
{% macro w_to_kw(column) -%}
    cast({{ column }} as {{ type_double() }}) / 1000
{%- endmacro %}
