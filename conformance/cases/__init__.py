"""Conformance cases, one module per area; each case is registered under its test ID."""
