{{ staging_quarantine('arcadia') }}
