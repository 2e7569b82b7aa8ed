"""Sync through a shared folder: the signed file format and the merge (see docs/sync-format.md)."""
