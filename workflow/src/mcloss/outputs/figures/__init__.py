"""Figures, one module per kind, sharing one style (black and greys, vector PDF plus PNG).

May import: `mcloss.outputs` (formatting, provenance), `mcloss.judge` and every stage below it.
"""
