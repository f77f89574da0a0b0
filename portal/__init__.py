"""The Django project: settings, URLs, health views, branding and error pages."""
