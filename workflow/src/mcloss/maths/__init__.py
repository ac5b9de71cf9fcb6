"""Mathematics that knows no law, estimand or file: the first stage of the data flow.

Owns numerically sound building blocks (`numerics`: softplus, log-sigmoid, polynomial
logits), exact expectations by quadrature and their closed-form checks (`exact`), the
prefix statistics every term is recorded as (`moments.TermStats`), the batch-size grids
(`grid`), the tail indices of the laws (`tail_table`: the family table, checked against scipy's
own moments) and which moments of a term are finite from its growth in the tails (`tails`), fixed
and kink-split tanh-sinh rules in probability space (`quantile_rule`, `piecewise`), damped Newton
(`newton`), and the safe compiler of loss formulas typed in the config (`formula`, `formula_tree`).
May import: numpy, scipy and `mcloss.errors`; nothing else of mcloss.
"""
