"""One panel view: fetch the opportunity, rank, explain, record what was shown and what reps did.
Rule of this room: no Flask; the web room calls it for the panel page, the Canvas POST and the
JSON API alike, so all three always agree."""
