"""The `formalize` command line."""
