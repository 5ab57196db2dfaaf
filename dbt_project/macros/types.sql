{#-
    Types that dbt's cross-database macros do not cover well.
    dbt.type_float() is FLOAT (32 bit) on DuckDB and Spark, so double precision gets its own macro.
-#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'utility_data')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    {{ return('double') }}
{%- endmacro %}

{#-
    An instant in time (UTC). DuckDB: TIMESTAMPTZ (rendered in the session TimeZone, set to UTC
    by profiles.yml). Spark: TIMESTAMP is already an instant (session-time-zone rendering).
-#}
{% macro type_timestamp_tz() -%}
    {{ return(adapter.dispatch('type_timestamp_tz', 'utility_data')()) }}
{%- endmacro %}

{% macro default__type_timestamp_tz() -%}
    {{ return(dbt.type_timestamp()) }}
{%- endmacro %}

{% macro duckdb__type_timestamp_tz() -%}
    {{ return('timestamptz') }}
{%- endmacro %}

{#- Text type for vendor ids and codes. -#}
{% macro type_text() -%}
    {{ return(dbt.type_string()) }}
{%- endmacro %}

{#-
    Cast that yields NULL instead of failing. dbt.safe_cast renders a plain CAST on DuckDB
    (dbt-duckdb does not override it), which raises on bad input; DuckDB has TRY_CAST.
    Other adapters fall back to dbt.safe_cast (Spark's non-ANSI CAST already yields NULL).
-#}
{% macro try_cast(expression, data_type) -%}
    {{ return(adapter.dispatch('try_cast', 'utility_data')(expression, data_type)) }}
{%- endmacro %}

{% macro default__try_cast(expression, data_type) -%}
    {{ return(dbt.safe_cast(expression, data_type)) }}
{%- endmacro %}

{% macro duckdb__try_cast(expression, data_type) -%}
    try_cast({{ expression }} as {{ data_type }})
{%- endmacro %}

{#-
    Sum of a double column that does not depend on the order of addition: each value is rounded
    to 9 decimals (far below any meter's resolution) and summed as a decimal, then returned as a
    double. A plain floating-point sum differs in its last bits from run to run when the engine
    adds in parallel, so a re-run would not give identical marts.
-#}
{% macro exact_sum(expression) -%}
    cast(sum(cast({{ expression }} as decimal(38, 9))) as {{ type_double() }})
{%- endmacro %}
