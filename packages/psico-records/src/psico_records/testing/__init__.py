"""Test helpers for projects that use psico-records: factories and a pytest plugin."""
