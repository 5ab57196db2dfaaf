{{ staging_interval_loads('bayou') }}
