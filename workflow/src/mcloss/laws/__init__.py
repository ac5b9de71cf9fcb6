"""The laws samples are drawn from, and how a stream draws them (after `maths`).

Owns the sampling laws of the config (`distributions`; `families`: numpy's draws where numpy has the
family, so that a simulate job imports no scipy.stats), the random streams and their
seeding from SeedSequence spawn keys (`streams`), the sampler seam of the sampling plans
(`inversion`: samplers as maps from uniforms, antithetic and scrambled Sobol' draws) and
the plans themselves (`plans`, wrapping any estimand by duck typing; `plan_exact`, their
exact variance factors by quadrature). A new sampling plan goes here and nowhere else.
May import: `mcloss.maths`, `mcloss.errors`.
"""
