"""Everything that talks to Space Invoices: the client, the launch view and its audit."""
