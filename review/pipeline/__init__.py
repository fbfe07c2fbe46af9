"""The pipeline: build (load, validate, evaluate, compose, render, archive), worker processes,
results.json, validate.
"""
