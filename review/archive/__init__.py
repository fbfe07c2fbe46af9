"""The output folder: revisions with manifests and snapshots, the build cache, and the one atomic
write below output/.
"""
