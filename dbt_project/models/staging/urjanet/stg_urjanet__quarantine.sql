{{ staging_quarantine('urjanet') }}
