"""Everything that knows Salesforce's shapes: Ids, records, and (later) the API client."""
