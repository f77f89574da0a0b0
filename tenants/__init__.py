"""The partner's customers and who belongs to them; keys, provisioning, member sync."""
