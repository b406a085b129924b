"""Search algorithms over VTA configurations, all behind one ask/tell interface
(:class:`~vtac.explore.algorithms.base.Search`)."""

from __future__ import annotations

from vtac.explore.algorithms.anneal import AnnealSearch
from vtac.explore.algorithms.base import Search
from vtac.explore.algorithms.bayes import BayesSearch
from vtac.explore.algorithms.confuciux import ConfuciuxSearch
from vtac.explore.algorithms.genetic import GeneticSearch
from vtac.explore.algorithms.reinforce import ReinforceSearch
from vtac.explore.algorithms.sampling import ExhaustiveSearch, RandomSearch

ALGORITHMS: dict[str, type[Search]] = {
    cls.name: cls
    for cls in (
        ConfuciuxSearch,
        ReinforceSearch,
        GeneticSearch,
        AnnealSearch,
        RandomSearch,
        BayesSearch,
        ExhaustiveSearch,
    )
}

__all__ = ["ALGORITHMS", "Search"]
