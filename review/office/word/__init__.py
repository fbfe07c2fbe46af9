"""Word (OOXML) output: ``rtl`` spells the XML, ``writer`` speaks the pack's vocabulary,
``template`` builds the default template ``templates/briefing.docx``."""
