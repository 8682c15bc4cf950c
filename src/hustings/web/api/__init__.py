"""JSON API routers under /v1, one module per concept; each module exposes `router`."""
