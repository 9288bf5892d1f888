"""The HTTP API under /api/v1: reports, the batch relay, status, official pages, admin, its docs and OpenAPI."""
