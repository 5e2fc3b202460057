"""Rendering of analysis results. Reporters never compute statistics."""
