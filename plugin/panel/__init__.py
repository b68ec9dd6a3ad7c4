"""One panel view: fetch the opportunity, rank the catalog for it, explain the score, record what
was shown, and take in what the rep did with it.

Rule of this room: no Flask; the web room calls it for the panel page, the Canvas POST and the
JSON API alike, so all three always agree.
"""
