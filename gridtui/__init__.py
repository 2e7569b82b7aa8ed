"""gridtui — 敲门问需送关怀: door-knock visits and follow-ups for community grid workers.

Layers and modules: docs/design-notes.md.
"""
