{{ staging_interval_loads('arcadia') }}
