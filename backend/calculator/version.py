"""The release version; the top-level VERSION file must match (a contract test checks)."""

__version__ = "1.1.0"
