{{ staging_quarantine('bayou') }}
