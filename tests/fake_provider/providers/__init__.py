"""The fake provider's code; fake_provider.py next to this package runs it."""
