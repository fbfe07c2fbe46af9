"""The secretariat's commands: data-collection forms, submission status, and the register of
recommendations.
"""
