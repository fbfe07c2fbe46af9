"""Language: the phrases catalogue (templates/phrases.yaml) and numbers, percentages and dates in
the plan's digits.
"""
