"""What a rep reads and takes away: module text rendered to safe HTML, templates personalised
with an opportunity's values, Word exports, and import files waiting for confirmation.

Rule of this room: no Flask; pure functions where it can, storage only for pending imports.
"""
