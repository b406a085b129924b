"""The planners the passes call: the CP-SAT embedding model (:mod:`.embedding`), blocking of an
embedded contraction onto VTA's tensor shapes (:mod:`.blocking`), the tile search and its replay
cost (:mod:`.tiling`), and the analysis of a function into stages (:mod:`.contraction`).

They build no IR of the later dialects and import no pass: a pass orchestrates them.
"""
