"""Verdicts: stated rules applied to the evidence (after `evidence`).

Owns the verdict vocabulary and the per-quantity rules (`verdicts`), the convergence
table those rules complete (`convergence`), the per-scenario verdict table (`findings`)
and the claims of the source texts and beyond them, each with its rule (`claims` and
the modules it gathers). A new claim goes here. Nothing here renders a page or a figure.
May import: `mcloss.evidence` and every stage below it.
"""
