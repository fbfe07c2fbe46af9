"""Recommendations: the rules that propose them (templates/recommendations.yaml) and the register
of adopted ones.
"""
