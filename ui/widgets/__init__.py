"""Small widgets the Dream dialog is built from, one job each."""
