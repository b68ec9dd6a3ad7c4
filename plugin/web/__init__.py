"""Blueprints: ``api`` (JSON for any CRM), ``panel`` (the page Salesforce frames), ``demo``."""
