"""Invoicing activity and usage, from Space Invoices' signed webhooks."""
