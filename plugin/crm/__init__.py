"""Where opportunity records come from: the neutral port and one adapter folder per CRM.

Rule of this room: no Flask and nothing from the rest of ``plugin``; adapters speak the port."""
