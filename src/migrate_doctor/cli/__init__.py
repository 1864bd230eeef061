"""Thin click wrappers: parse options, call one API function, render. No logic."""
