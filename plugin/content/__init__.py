"""What a rep reads and takes away: rendered modules, personalised templates, Word, pending imports.
Rule of this room: no Flask; pure functions where it can, storage only for pending imports."""
