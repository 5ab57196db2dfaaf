{#-
    Surrogate key: md5 of the '|'-joined text of the fields, NULL spelled '_null_'.
    Built from dbt.hash / dbt.concat so it gives the same value on DuckDB and Spark.
-#}
{% macro surrogate_key(fields) -%}
    {%- set parts = [] -%}
    {%- for field in fields -%}
        {%- do parts.append("coalesce(cast(" ~ field ~ " as " ~ dbt.type_string() ~ "), '_null_')") -%}
        {%- if not loop.last -%}
            {%- do parts.append("'|'") -%}
        {%- endif -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}
