"""The Textual app. Imported only by the command that opens the TUI (Textual is heavy)."""
