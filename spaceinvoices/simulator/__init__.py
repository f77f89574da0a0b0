"""A contract-faithful Space Invoices stand-in: its own process, its own state, real HTTP.

For development and tests only. No portal module imports it.
"""
