"""Where opportunity records come from: the neutral port (``sources``, ``records``) and one
adapter folder per CRM (``salesforce/``, ``demo_org/``), registered in ``adapters``.

Rule of this room: no Flask and nothing from the rest of ``plugin``; an adapter turns its CRM's
answers into :class:`~plugin.crm.records.OpportunityRecord` and its failures into the port's
exceptions.
"""
