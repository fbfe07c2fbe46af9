"""Office formats: Word, Excel, zip containers and PDF conversion. Knows no domain; the only code
that spells OOXML.
"""
