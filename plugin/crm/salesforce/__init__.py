"""The Salesforce adapter: Ids, SOQL, the REST client (simple-salesforce), Canvas signed
requests, sign-in, the opportunity source with its failure policy, and the deal-outcome reads.

Rule of this room: everything that knows Salesforce's shapes lives here and nowhere else; no
Flask.
"""
