{#-
    A top-level field of a JSON object held as text, as text; NULL when the text is not valid
    JSON or has no such field. DuckDB: json_extract_string behind json_valid (it raises on bad
    JSON); other adapters (Spark): get_json_object, which already yields NULL on bad JSON.
-#}
{% macro json_text_field(expression, field) -%}
    {{ return(adapter.dispatch('json_text_field', 'utility_data')(expression, field)) }}
{%- endmacro %}

{% macro default__json_text_field(expression, field) -%}
    get_json_object({{ expression }}, '$.{{ field }}')
{%- endmacro %}

{% macro duckdb__json_text_field(expression, field) -%}
    case when json_valid({{ expression }}) then json_extract_string({{ expression }}, '$.{{ field }}') end
{%- endmacro %}
