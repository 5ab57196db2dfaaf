{#-
    Month partitions of the interval marts. Dagster passes the partition window of a run (one
    month, or the range of a backfill run as one dbt process) as the vars
    `interval_window_start` / `interval_window_end` (ISO timestamps, UTC, end exclusive). An
    incremental run deletes the window from the table and inserts it again from the models
    upstream, so re-running a month replaces exactly that month; without the vars an incremental
    run replaces everything, and `--full-refresh` rebuilds the table: the same rows either way.
-#}

{#- True when the run was given a window (an incremental run then touches only that window). -#}
{% macro has_interval_window() -%}
    {{ return(var('interval_window_start', none) is not none or var('interval_window_end', none) is not none) }}
{%- endmacro %}

{#-
    `<column> in the window` as a boolean expression (`true` when no window is given), the window
    widened by `margin_days` on both sides (to catch the readings of local days that straddle it).
-#}
{% macro interval_window_condition(column, margin_days=0) -%}
    {%- set window_start = var('interval_window_start', none) -%}
    {%- set window_end = var('interval_window_end', none) -%}
    {%- set start_bound = "cast('" ~ window_start ~ "' as " ~ type_timestamp_tz() ~ ")" -%}
    {%- set end_bound = "cast('" ~ window_end ~ "' as " ~ type_timestamp_tz() ~ ")" -%}
    {%- if margin_days -%}
        {%- set start_bound = dbt.dateadd('day', -margin_days, start_bound) -%}
        {%- set end_bound = dbt.dateadd('day', margin_days, end_bound) -%}
    {%- endif -%}
    ({% if window_start %}{{ column }} >= {{ start_bound }}{% else %}true{% endif %}
        and {% if window_end %}{{ column }} < {{ end_bound }}{% else %}true{% endif %})
{%- endmacro %}

{#- `[starts, ends)` overlaps the window (`true` when no window is given). -#}
{% macro interval_window_overlaps(starts_column, ends_column) -%}
    {%- set window_start = var('interval_window_start', none) -%}
    {%- set window_end = var('interval_window_end', none) -%}
    ({% if window_start %}{{ ends_column }} > cast('{{ window_start }}' as {{ type_timestamp_tz() }}){% else %}true{% endif %}
        and {% if window_end %}{{ starts_column }} < cast('{{ window_end }}' as {{ type_timestamp_tz() }}){% else %}true{% endif %})
{%- endmacro %}

{#- `where <column> in the window` (`where true` when no window is given). -#}
{% macro interval_window_filter(column) -%}
    where {{ interval_window_condition(column) }}
{%- endmacro %}

{#- Pre-hook of an interval mart: on an incremental run, delete the rows of the window. -#}
{% macro delete_interval_window(column) -%}
    {%- if is_incremental() -%}
        delete from {{ this }} {{ interval_window_filter(column) }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{#-
    The data tests of the month-partitioned marts check the run's window only: on a run given a
    window, the rows outside it were not touched (and were tested when they were built), so a
    one-month run does not re-test 24 months. dbt wraps the model of every generic test in
    get_where_subquery (the documented hook for a test's `where` config); here it also restricts
    these marts to the window. A run without a window (a full build) tests every row.
-#}
{% macro windowed_test_columns() -%}
    {{ return({'fct_intervals': 'interval_start', 'fct_interval_meter_months': 'month_start',
              'fct_interval_coverage': 'day_starts_at'}) }}
{%- endmacro %}

{% macro get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- set where = config.get('where') -%}
    {%- if where -%}
        {%- do conditions.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {%- set window_column = windowed_test_columns().get(relation.identifier) -%}
    {%- if window_column and has_interval_window() -%}
        {%- do conditions.append(interval_window_condition(window_column)) -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ conditions | join(' and ') }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}

{#-
    True when `relation`'s rows (columns vendor, vendor_customer_id) have a policy window
    (stg_policy__policy_windows: starts_at inclusive, ends_at exclusive, NULL = unbounded) that
    holds the instant `first_ts`, or, given `last_ts`, that overlaps [first_ts, last_ts]. The
    windows are compiled by connectors/policy.py; no rule is re-implemented here.
-#}
{% macro in_policy_window(relation, first_ts, last_ts=none) -%}
    {%- set last_ts = last_ts or first_ts -%}
    exists (
        select 1
        from {{ ref('stg_policy__policy_windows') }} as policy_windows
        where policy_windows.vendor = {{ relation }}.vendor
            and policy_windows.vendor_customer_id = {{ relation }}.vendor_customer_id
            and (policy_windows.starts_at is null or {{ last_ts }} >= policy_windows.starts_at)
            and (policy_windows.ends_at is null or {{ first_ts }} < policy_windows.ends_at)
    )
{%- endmacro %}

{#-
    THE incremental configuration of the month-partitioned marts, per adapter (one place, not one
    per model). A model calls `config(**month_partitioned_config(...))`.
    * DuckDB (default): `append` after a pre-hook that deletes what the run rebuilds (the window,
      `delete_interval_window(window_column)`, or the model's own `pre_hook`): delete+insert of a
      window, which needs no unique key.
    * Spark: `insert_overwrite` partitioned by `partition_column` (dynamic partition overwrite
      replaces exactly the partitions the run writes: Dagster's windows are whole UTC months).
      DELETE and MERGE need Delta or Iceberg, which plain Parquet tables are not. A model whose
      incremental run replaces rows scattered over many partitions (`partition_column` none:
      fct_interval_coverage, whose changed meters touch every month) is a table on Spark,
      rebuilt whole on every run.
-#}
{% macro month_partitioned_config(window_column, partition_column, pre_hook=none) -%}
    {{ return(adapter.dispatch('month_partitioned_config', 'utility_data')(window_column, partition_column, pre_hook)) }}
{%- endmacro %}

{% macro default__month_partitioned_config(window_column, partition_column, pre_hook) -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'append',
        'pre_hook': pre_hook or "{{ delete_interval_window('" ~ window_column ~ "') }}",
    }) }}
{%- endmacro %}

{% macro spark__month_partitioned_config(window_column, partition_column, pre_hook) -%}
    {%- if partition_column is none -%}
        {{ return({'materialized': 'table', 'file_format': 'parquet'}) }}
    {%- endif -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'insert_overwrite',
        'partition_by': [partition_column],
        'file_format': 'parquet',
    }) }}
{%- endmacro %}
