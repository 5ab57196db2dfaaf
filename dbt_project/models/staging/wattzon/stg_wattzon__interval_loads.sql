{{ staging_interval_loads('wattzon') }}
