{#-
    Keep the latest version of each record of an append-only lake dataset.

    Returns a SELECT (to be used as a CTE or subquery) with every column of `relation` plus
    `_dedupe_row_number`; the calling model selects its columns explicitly, so the helper
    column never leaks. Portable: row_number() in a subquery, no QUALIFY.

    relation:      a source()/ref() or any relation expression
    partition_by:  list of key expressions identifying one record
    order_by:      list of ordering expressions, latest first
                   (default: `_extracted_at desc`, then `_load_id desc`, NULLs last)
-#}
{% macro dedupe_latest(relation, partition_by, order_by=none) -%}
    {%- if partition_by is string -%}
        {%- set partition_by = [partition_by] -%}
    {%- endif -%}
    {%- set order_by = order_by or ['_extracted_at desc nulls last', '_load_id desc nulls last'] -%}
    select *
    from (
        select
            _dedupe_source.*,
            row_number() over (
                partition by {{ partition_by | join(', ') }}
                order by {{ order_by | join(', ') }}
            ) as _dedupe_row_number
        from {{ relation }} as _dedupe_source
    ) as _dedupe_ranked
    where _dedupe_row_number = 1
{%- endmacro %}
