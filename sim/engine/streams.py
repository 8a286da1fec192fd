"""Many replications' random streams at once, bit for bit numpy's own.

Replication r's shocks must be exactly those of `np.random.default_rng(seed_r)`, which is
what Mesa's `Model(rng=seed_r)` uses, so that a batch replication and a single run agree.
Building ten thousand generators one by one costs about 20 µs each, most of it in
numpy's `SeedSequence`. Here the `SeedSequence` hash runs as array operations over all
seeds at once and each PCG64 generator is built from its share of the result.

The hash follows numpy/random/bit_generator.pyx (`mix_entropy`, `generate_state`); tests
compare it and the streams with numpy on hundreds of seeds.
"""

import numpy as np
from numpy.random.bit_generator import ISeedSequence

POOL_SIZE = 4
INIT_A, MULT_A = 0x43B0D7E5, 0x931E8875
INIT_B, MULT_B = 0x8B51F9DD, 0x58F38DED
MIX_MULT_L, MIX_MULT_R = 0xCA01F9DD, 0x4973F715
MASK32 = (1 << 32) - 1


def words(n: int) -> list[int]:
    """A non-negative integer as numpy's SeedSequence sees it: 32-bit words, low first."""
    if n < 0:
        raise ValueError(f"seeds must be non-negative, not {n}")
    out = []
    while True:
        out.append(n & MASK32)
        n >>= 32
        if not n:
            return out


def _entropy(seed: int, spawn_key: tuple[int, ...]) -> list[int]:
    run = words(seed)
    spawn = [w for k in spawn_key for w in words(k)]
    if spawn and len(run) < POOL_SIZE:
        run += [0] * (POOL_SIZE - len(run))
    return run + spawn


def _hashmix(value: np.ndarray, const: list[int]) -> np.ndarray:
    # `const` is numpy's running hash multiplier, the same for every seed at each call.
    value = value ^ np.uint32(const[0])
    const[0] = (const[0] * MULT_A) & MASK32
    value = value * np.uint32(const[0])
    return value ^ (value >> np.uint32(16))


def _mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    result = np.uint32(MIX_MULT_L) * x - np.uint32(MIX_MULT_R) * y
    return result ^ (result >> np.uint32(16))


def _pool(entropy: np.ndarray) -> np.ndarray:
    """(R, 4) mixed pools of R entropy rows of equal length, as `SeedSequence.mix_entropy`."""
    const = [INIT_A]
    zero = np.zeros(len(entropy), dtype=np.uint32)
    mixer = [
        _hashmix(entropy[:, i] if i < entropy.shape[1] else zero, const) for i in range(POOL_SIZE)
    ]
    for src in range(POOL_SIZE):
        for dst in range(POOL_SIZE):
            if src != dst:
                mixer[dst] = _mix(mixer[dst], _hashmix(mixer[src], const))
    for src in range(POOL_SIZE, entropy.shape[1]):
        for dst in range(POOL_SIZE):
            mixer[dst] = _mix(mixer[dst], _hashmix(entropy[:, src], const))
    return np.stack(mixer, axis=1)


def _generate(pool: np.ndarray, n_uint64: int) -> np.ndarray:
    """(R, n) uint64 words from (R, 4) pools, as `SeedSequence.generate_state(n, np.uint64)`."""
    const = INIT_B
    out = np.empty((len(pool), 2 * n_uint64), dtype=np.uint32)
    for i in range(2 * n_uint64):
        value = pool[:, i % POOL_SIZE] ^ np.uint32(const)
        const = (const * MULT_B) & MASK32
        value = value * np.uint32(const)
        out[:, i] = value ^ (value >> np.uint32(16))
    return out.astype("<u4").view("<u8").astype(np.uint64)


def seed_sequence_words(seeds, spawn_key=(), n_uint64: int = 1) -> np.ndarray:
    """(R, n) what `SeedSequence(seed, spawn_key=spawn_key[r]).generate_state(n, uint64)` gives.

    `spawn_key` is one tuple for every seed, or a list of tuples, one per seed.
    """
    keys = [spawn_key] * len(seeds) if isinstance(spawn_key, tuple) else list(spawn_key)
    out = np.empty((len(seeds), n_uint64), dtype=np.uint64)
    for rows, entropy in _entropy_groups(seeds, keys):  # the hash runs once per entropy shape
        out[rows] = _generate(_pool(entropy), n_uint64)
    return out


def _entropy_groups(seeds, keys):
    """(rows, entropy matrix) for each group of seeds whose entropy has the same length."""
    if not len(seeds):
        return
    width = {len(k) for k in keys}
    values = [list(seeds), *map(list, zip(*keys, strict=True))] if width == {len(keys[0])} else []
    if not values or max(max(v, default=0) for v in values) >= 2**64 or min(map(min, values)) < 0:
        rows = [_entropy(int(s), tuple(k)) for s, k in zip(seeds, keys, strict=True)]
        for length in {len(r) for r in rows}:  # numpy's own per-seed words, for any size
            which = [i for i, r in enumerate(rows) if len(r) == length]
            yield which, np.array([rows[i] for i in which], dtype=np.uint32).reshape(-1, length)
        return
    # Every value fits in 64 bits: split them into low and high words as arrays.
    parts = []
    for v in values:
        v = np.fromiter(v, dtype=np.uint64, count=len(v))
        parts.append(((v & MASK32).astype(np.uint32), (v >> 32).astype(np.uint32), v >> 32 > 0))
    two_words = np.stack([p[2] for p in parts], axis=1)
    shapes, group = np.unique(two_words, axis=0, return_inverse=True)
    for g, shape in enumerate(shapes):
        rows = np.flatnonzero(group.ravel() == g)
        columns = []
        for j, ((low, high, _), two) in enumerate(zip(parts, shape, strict=True)):
            columns += [low[rows], high[rows]] if two else [low[rows]]
            if j == 0 and len(parts) > 1:  # as numpy: seed words padded to the pool size
                columns += [np.zeros(len(rows), np.uint32)] * (POOL_SIZE - len(columns))
        yield rows, np.stack(columns, axis=1)


class _Words(ISeedSequence):
    """A SeedSequence's output, computed in advance, handed to PCG64 as its seed.

    `ISeedSequence` is numpy's documented extension point for seed sequences; PCG64 asks
    it for exactly four uint64 words.
    """

    def __init__(self, words: np.ndarray):
        self.words = words

    def generate_state(self, n_words, dtype=np.uint32):
        if n_words != len(self.words) or np.dtype(dtype) != np.uint64:
            raise ValueError(f"prepared {len(self.words)} uint64 words, asked {n_words} {dtype}")
        return self.words


class NormalStreams:
    """Standard normal streams, one per seed, each the stream of `default_rng(seed)`."""

    def __init__(self, seeds):
        words = seed_sequence_words(seeds, n_uint64=4)
        self.generators = [np.random.Generator(np.random.PCG64(_Words(w))) for w in words]

    def uniforms(self, k: int) -> np.ndarray:
        """(R, k) the next k uniforms of every stream (`Generator.random(k)`)."""
        if not k:  # drawing none leaves each stream where it is: spare the calls
            return np.zeros((len(self.generators), 0))
        return np.array([g.random(k) for g in self.generators]).reshape(len(self.generators), k)

    def fill(self, out: np.ndarray, which) -> None:
        """Draw the next `out[k].size` normals of stream `which[k]` into `out[k]`, for each k
        (the other streams draw nothing)."""
        generators = self.generators
        for k, r in enumerate(which):
            generators[r].standard_normal(out=out[k])
