"""Operating signals: liveness, readiness and Prometheus metrics (see docs/operations.md)."""
