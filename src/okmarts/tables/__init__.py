"""Piccolo tables, one module per domain."""
