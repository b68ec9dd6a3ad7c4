"""What Salesforce records about each deal beyond its outcome: stage history and stage norms,
meetings, and the people behind deals (users, roles, teams, regions, partners).
Rule of this room: no Flask; it may use ``crm``, ``orgs`` and ``content_catalog``, and ``panel``,
``analytics``, ``learning`` and ``coaching`` read it."""
