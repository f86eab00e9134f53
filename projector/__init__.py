"""The projector engine: loading, projections, neighbours, search and figure arrays.

Nothing in this package imports dash or flask, so every behaviour is testable on plain arrays.
"""
