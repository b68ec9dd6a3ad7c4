"""The Salesforce adapter: connector, opportunity source, sign-in, Canvas, deal-outcome reads.

Rule of this room: all that knows Salesforce's shapes lives here and nowhere else; no Flask."""
