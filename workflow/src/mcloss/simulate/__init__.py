"""The one-pass checkpoint engine and its files (after `estimands`).

Owns `engine`: for every replicate and stream, samples are drawn in chunks, the
estimand's per-sample terms folded into running (count, mean, M2) and recorded at the
batch-size checkpoints; the estimates are formed from those prefix statistics. Also the
replicate-block `.npz` files (save, load). Generic over estimands: adding one never
touches this stage.
May import: `mcloss.estimands`, `mcloss.laws`, `mcloss.maths`, `mcloss.errors`.
"""
