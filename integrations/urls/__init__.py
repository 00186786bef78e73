"""Portal URL modules of the integrations app, one per area, included by config.urls_tenants."""
