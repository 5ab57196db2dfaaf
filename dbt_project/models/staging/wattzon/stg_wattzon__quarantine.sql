{{ staging_quarantine('wattzon') }}
