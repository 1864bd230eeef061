"""Revision files -> revision graph and operations, read from the syntax tree."""
