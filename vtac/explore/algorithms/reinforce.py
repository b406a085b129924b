"""REINFORCE over the configuration fields, in plain numpy (after ConfuciuX's policy).

The policy chooses the fields one after the other: for field ``k`` a hidden layer reads the
choices made so far (one-hot) and which field is next, and field ``k``'s head gives the
logits of its values; values that no configuration of the space continues the choices with
are masked out, so every episode ends in a configuration that fits the board. An episode's
reward is ``-log`` of its objective, normalised over the batch (ConfuciuX normalises its
rewards the same way), and the policy follows the REINFORCE gradient with Adam and a small
entropy bonus.
"""

from __future__ import annotations

import math

import numpy as np

from vtac.explore.algorithms.base import Search, score
from vtac.explore.space import Point, Space

HIDDEN = 32
EPISODES = 8  # per policy update
LEARNING_RATE = 0.05
ENTROPY = 0.01
BETAS = (0.9, 0.999)


class Policy:
    """An autoregressive policy over the fields of a space."""

    def __init__(self, sizes: tuple[int, ...], rng: np.random.Generator) -> None:
        self.sizes = sizes
        self.offsets = np.concatenate(([0], np.cumsum(sizes)))
        inputs = int(self.offsets[-1]) + len(sizes)
        scale = 1.0 / math.sqrt(inputs)
        self.params = {
            "w1": rng.normal(0, scale, (HIDDEN, inputs)),
            "b1": np.zeros(HIDDEN),
            "w2": [rng.normal(0, 1.0 / math.sqrt(HIDDEN), (n, HIDDEN)) for n in sizes],
            "b2": [np.zeros(n) for n in sizes],
        }
        self.moments = {k: _zeros_like(v) for k, v in self.params.items()}
        self.squares = {k: _zeros_like(v) for k, v in self.params.items()}
        self.steps = 0

    def _input(self, prefix: tuple[int, ...]) -> np.ndarray:
        x = np.zeros(self.params["w1"].shape[1])
        for field, value in enumerate(prefix):
            x[self.offsets[field] + value] = 1.0
        x[int(self.offsets[-1]) + len(prefix)] = 1.0
        return x

    def distribution(self, prefix: tuple[int, ...], allowed: list[int]) -> tuple:
        """(probabilities over the next field's values, input, hidden) after ``prefix``."""
        x = self._input(prefix)
        h = np.tanh(self.params["w1"] @ x + self.params["b1"])
        k = len(prefix)
        logits = self.params["w2"][k] @ h + self.params["b2"][k]
        mask = np.full(self.sizes[k], -np.inf)
        mask[allowed] = 0.0
        logits = logits + mask
        p = np.exp(logits - logits[allowed].max())
        return p / p.sum(), x, h

    def update(self, episodes: list[list[tuple]], advantages: np.ndarray) -> None:
        """One Adam step up the REINFORCE gradient (plus the entropy bonus's)."""
        grads = {k: _zeros_like(v) for k, v in self.params.items()}
        for steps, advantage in zip(episodes, advantages, strict=True):
            for k, (p, x, h, action) in enumerate(steps):
                # d(log p[a])/d logits = onehot(a) - p; the entropy's gradient is
                # -p * (log p + H) over the allowed values
                logp = np.log(np.where(p > 0, p, 1.0))
                entropy = -(p * logp).sum()
                dlogits = -p * advantage
                dlogits[action] += advantage
                dlogits += ENTROPY * (-p * (logp + entropy))
                grads["w2"][k] += np.outer(dlogits, h)
                grads["b2"][k] += dlogits
                dh = (self.params["w2"][k].T @ dlogits) * (1 - h * h)
                grads["w1"] += np.outer(dh, x)
                grads["b1"] += dh
        self.steps += 1
        for key, grad in grads.items():
            self.params[key] = _adam(
                self.params[key], grad, self.moments, self.squares, key, self.steps
            )


def _zeros_like(value: np.ndarray | list) -> np.ndarray | list:
    return [np.zeros_like(v) for v in value] if isinstance(value, list) else np.zeros_like(value)


def _adam(param, grad, moments, squares, key, step):  # noqa: ANN001, ANN202
    """Adam ascent on ``param`` (an array or a list of arrays)."""
    if isinstance(param, list):
        out = []
        for i, (p, g) in enumerate(zip(param, grad, strict=True)):
            out.append(_adam_array(p, g, moments[key], squares[key], i, step))
        return out
    return _adam_array(param, grad, moments, squares, key, step)


def _adam_array(param, grad, moments, squares, key, step):  # noqa: ANN001, ANN202
    b1, b2 = BETAS
    moments[key] = b1 * moments[key] + (1 - b1) * grad
    squares[key] = b2 * squares[key] + (1 - b2) * grad * grad
    m = moments[key] / (1 - b1**step)
    v = squares[key] / (1 - b2**step)
    return param + LEARNING_RATE * m / (np.sqrt(v) + 1e-8)


class ReinforceSearch(Search):
    """Batches of :data:`EPISODES` configurations sampled from the policy, which learns from
    each batch's values."""

    name = "reinforce"

    def __init__(self, space: Space, budget: int, seed: int) -> None:
        super().__init__(space, budget, seed)
        self.np_rng = np.random.default_rng(seed)
        self.policy = Policy(space.sizes, self.np_rng)
        self.batch: list[tuple[Point, list[tuple]]] = []
        self.worst = 0.0

    def sample(self) -> tuple[Point, list[tuple]]:
        """One episode: a point of the space and its steps (p, x, h, action)."""
        prefix: tuple[int, ...] = ()
        steps = []
        for _ in self.space.sizes:
            p, x, h = self.policy.distribution(prefix, self.space.allowed(prefix))
            action = int(self.np_rng.choice(len(p), p=p))
            steps.append((p, x, h, action))
            prefix = (*prefix, action)
        return prefix, steps

    def ask(self, used: int) -> list[Point]:
        self.batch = [self.sample() for _ in range(EPISODES)]
        return [point for point, _ in self.batch]

    def tell(self, points: list[Point], values: list[float]) -> None:
        for value in values:
            if math.isfinite(value) and value > 0:
                self.worst = max(self.worst, math.log(value))
        told = dict(zip(points, values, strict=True))
        episodes = [(steps, told[p]) for p, steps in self.batch if p in told]
        if len(episodes) < 2:
            return
        rewards = np.array([-score(v, self.worst) for _, v in episodes])
        advantages = (rewards - rewards.mean()) / (rewards.std() + 1e-9)
        self.policy.update([steps for steps, _ in episodes], advantages)
