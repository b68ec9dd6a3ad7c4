"""What Salesforce records about each deal beyond its outcome: stage history and stage norms,
meetings, and the people behind deals (users, roles, teams, regions, partners).
Rule of this room: no Flask; it uses ``crm``, ``orgs``, ``content_catalog``, ``recommender``."""
