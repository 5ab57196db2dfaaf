{#-
    The lake as dbt sources. DuckDB reads the Parquet files directly (each source's
    `external_location`, read by dbt-duckdb). Spark needs catalog tables: this on-run-start hook
    (re)creates one external Parquet table per source table over its lake folder
    `<lake root>/<source>/<table>/`, with the columns of the folder's `_common_metadata` (the
    Parquet summary file every dataset carries beside `_empty.parquet`, Lake.ensure_schema_files:
    a dataset never synced still has a typed, empty table; Spark skips every other file whose
    name starts with `_`), partitioned
    by the Hive folders listed in the table's `meta.lake_partitions`, whose partitions are then
    discovered (`msck repair table`: a partitioned table shows no rows before that, nor the
    partitions added since). Dropping and creating again on every run is cheap (metadata only;
    the files stay) and picks up a schema that gained a column.
-#}
{% macro create_lake_source_tables() -%}
    {{ return(adapter.dispatch('create_lake_source_tables', 'utility_data')()) }}
{%- endmacro %}

{% macro default__create_lake_source_tables() -%}
    {{ return('select 1') }}
{%- endmacro %}

{#- The lake root: UTILITY_LAKE_URI, else $UTILITY_DATA_DIR/lake (as in the sources' external_location). -#}
{% macro lake_root() -%}
    {%- set root = env_var('UTILITY_LAKE_URI', '') or (env_var('UTILITY_DATA_DIR') ~ '/lake') -%}
    {{ return(root.rstrip('/')) }}
{%- endmacro %}

{% macro spark__create_lake_source_tables() -%}
    {%- if execute -%}
        {#- Hadoop's S3 connector answers to s3a://; the lake's own URI says s3://. -#}
        {%- set root = lake_root() -%}
        {%- if root.startswith('s3://') -%}
            {%- set root = 's3a://' ~ root[5:] -%}
        {%- endif -%}
        {%- set schemas = [] -%}
        {%- for source in graph.sources.values() | sort(attribute='unique_id') -%}
            {%- if source.schema not in schemas -%}
                {%- do run_query('create database if not exists ' ~ source.schema) -%}
                {%- do schemas.append(source.schema) -%}
            {%- endif -%}
            {%- set location = root ~ '/' ~ source.source_name ~ '/' ~ source.name -%}
            {%- set table = source.schema ~ '.' ~ source.identifier -%}
            {%- set partitions = source.meta.get('lake_partitions') or source.config.meta.get('lake_partitions') or [] -%}
            {%- set schema_view = 'lake_schema__' ~ source.source_name ~ '__' ~ source.name -%}
            {%- do run_query("create or replace temporary view " ~ schema_view
                             ~ " using parquet options (path '" ~ location ~ "/_common_metadata')") -%}
            {%- set columns = [] -%}
            {%- for row in run_query('describe ' ~ schema_view) -%}
                {%- if row[0] and not row[0].startswith('#') -%}
                    {%- do columns.append('`' ~ row[0] ~ '` ' ~ row[1]) -%}
                {%- endif -%}
            {%- endfor -%}
            {%- for partition in partitions -%}
                {%- do columns.append('`' ~ partition ~ '` string') -%}
            {%- endfor -%}
            {%- do run_query('drop table if exists ' ~ table) -%}
            {%- set ddl -%}
                create table {{ table }} ({{ columns | join(', ') }}) using parquet
                {%- if partitions %} partitioned by ({{ partitions | join(', ') }}){% endif %}
                location '{{ location }}'
            {%- endset -%}
            {%- do run_query(ddl) -%}
            {%- if partitions -%}
                {%- do run_query('msck repair table ' ~ table) -%}
            {%- endif -%}
            {%- do run_query('drop view if exists ' ~ schema_view) -%}
        {%- endfor -%}
        {%- do log('lake sources: ' ~ (graph.sources | length) ~ ' tables over ' ~ root, info=true) -%}
    {%- endif -%}
    {{ return('select 1') }}
{%- endmacro %}
