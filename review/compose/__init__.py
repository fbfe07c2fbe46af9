"""Compose: what goes into each pack and workbook, in what order and in which words; no OOXML, no
matplotlib.
"""
