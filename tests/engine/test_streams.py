"""The bulk random streams are numpy's own, number for number."""

import numpy as np
import pytest

from sim.batching.plan import replication_seed, replication_seeds
from sim.engine.streams import NormalStreams, seed_sequence_words, words

EDGE_SEEDS = [0, 1, 2**32 - 1, 2**32, 2**63, 2**64 - 1, 2**96 + 7, 2**160 + 5]


def some_seeds(n: int = 500) -> list[int]:
    rng = np.random.default_rng(2024)
    small = rng.integers(0, 2**31, n // 2).tolist()
    large = rng.integers(0, 2**63, n // 2, dtype=np.uint64).tolist()
    return EDGE_SEEDS + small + [int(x) * 2 + 1 for x in large]


def test_words_split_like_numpy():
    assert words(0) == [0]
    assert words(2**32) == [0, 1]
    with pytest.raises(ValueError, match="non-negative"):
        words(-1)


@pytest.mark.parametrize("beyond_64_bits", [False, True], ids=["arrays", "numpy-words"])
def test_seed_sequence_words_equal_numpy(beyond_64_bits):
    seeds = [s for s in some_seeds() if beyond_64_bits or s < 2**64]
    ours = seed_sequence_words(seeds, n_uint64=4)
    theirs = [np.random.SeedSequence(s).generate_state(4, np.uint64) for s in seeds]
    np.testing.assert_array_equal(ours, np.array(theirs))


@pytest.mark.parametrize("beyond_64_bits", [False, True], ids=["arrays", "numpy-words"])
def test_seed_sequence_words_with_spawn_keys_equal_numpy(beyond_64_bits):
    seeds = [s for s in some_seeds(200) if beyond_64_bits or s < 2**64]
    rng = np.random.default_rng(7)
    points, reps = rng.integers(0, 5, len(seeds)), rng.integers(0, 2**40, len(seeds))
    keys = [(int(p), int(r)) for p, r in zip(points, reps, strict=True)]
    ours = seed_sequence_words(seeds, keys)
    theirs = [
        np.random.SeedSequence(s, spawn_key=k).generate_state(1, np.uint64)
        for s, k in zip(seeds, keys, strict=True)
    ]
    np.testing.assert_array_equal(ours, np.array(theirs))


def test_no_seeds_no_words():
    assert seed_sequence_words([], n_uint64=4).shape == (0, 4)


def test_replication_seeds_in_bulk_equal_one_by_one():
    for seed, point in [(1, 0), (0, 3), (2**40, 12)]:
        bulk = replication_seeds(seed, point, 95, 140)
        assert bulk == [replication_seed(seed, point, k) for k in range(95, 140)]


def test_generators_start_where_numpy_does():
    seeds = some_seeds(300)
    for seed, generator in zip(seeds, NormalStreams(seeds).generators, strict=True):
        assert generator.bit_generator.state == np.random.PCG64(seed).state


def test_streams_drawn_in_pieces_equal_default_rng():
    seeds = some_seeds(100)
    streams = NormalStreams(seeds)
    first, second = np.zeros((len(seeds), 3, 4)), np.zeros((len(seeds) // 2, 2, 4))
    streams.fill(first, range(len(seeds)))
    streams.fill(second, range(0, len(seeds), 2))  # only the even ones go on, packed
    third = np.zeros((len(seeds), 1, 4))
    streams.fill(third, range(len(seeds)))
    for r, seed in enumerate(seeds):
        expected = np.random.default_rng(seed).standard_normal((6, 4))
        np.testing.assert_array_equal(first[r], expected[:3])
        if r % 2 == 0:
            np.testing.assert_array_equal(second[r // 2], expected[3:5])
            np.testing.assert_array_equal(third[r], expected[5:6])
        else:  # drew nothing in between
            np.testing.assert_array_equal(third[r], expected[3:4])
