"""Intake: reading the user's files (the plan's YAML, CSV and Excel data, filled forms) into the
model, every problem located.
"""
