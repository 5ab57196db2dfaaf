{#-
    Month partitions of the interval marts. Dagster passes the partition window of a run (one
    month, or the range of a backfill run as one dbt process) as the vars
    `interval_window_start` / `interval_window_end` (ISO timestamps, UTC, end exclusive). An
    incremental run deletes the window from the table and inserts it again from the models
    upstream, so re-running a month replaces exactly that month; without the vars an incremental
    run replaces everything, and `--full-refresh` rebuilds the table: the same rows either way.
-#}

{#- `where <column> in the window` (`where true` when no window is given). -#}
{% macro interval_window_filter(column) -%}
    {%- set window_start = var('interval_window_start', none) -%}
    {%- set window_end = var('interval_window_end', none) -%}
    where {% if window_start %}{{ column }} >= cast('{{ window_start }}' as {{ type_timestamp_tz() }}){% else %}true{% endif %}
        and {% if window_end %}{{ column }} < cast('{{ window_end }}' as {{ type_timestamp_tz() }}){% else %}true{% endif %}
{%- endmacro %}

{#- Pre-hook of an interval mart: on an incremental run, delete the rows of the window. -#}
{% macro delete_interval_window(column) -%}
    {%- if is_incremental() -%}
        delete from {{ this }} {{ interval_window_filter(column) }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
