"""Minimal stand-in for rich, used only when rich itself is not installed
(maestrowf brings rich along, so pgen files may import it)."""
