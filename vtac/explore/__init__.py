"""``vtac explore``: search over VTA's own hardware configuration under an FPGA budget.

:mod:`~vtac.explore.resources` estimates what a configuration needs on a board,
:mod:`~vtac.explore.space` holds the configurations that fit, :mod:`~vtac.explore.objective`
values one by the compiler's schedules over a workload suite, :mod:`~vtac.explore.algorithms`
search the space (ConfuciuX's RL then GA, REINFORCE, GA, annealing, random, Bayesian,
exhaustive) and :mod:`~vtac.explore.runner` runs one of them against an evaluator
(:mod:`~vtac.explore.evaluators`: local processes or Ray).
"""
