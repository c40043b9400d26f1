# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""From scores to clusters: best antecedent per mention, then the clusters of those links."""
from libc.stdint cimport int32_t

cimport numpy as cnp
import numpy

cnp.import_array()


def best_antecedents(const int32_t[::1] pair_ant, const int32_t[::1] pair_ment,
                     const float[::1] pair_scores, const float[::1] single_scores,
                     int32_t[::1] best, float[::1] best_scores, float threshold_offset):
    """Pick each mention's antecedent among its scored candidate pairs.

    Pairs must be grouped by mention. A mention links to its best-scoring candidate when
    that score beats its own "no antecedent" score plus `threshold_offset` (NeuralCoref's
    greedyness: offset = 50 * (0.5 - greedyness)). Results go into `best` (-1: none) and
    `best_scores`, indexed by mention.
    """
    cdef Py_ssize_t n_pairs = pair_ant.shape[0]
    cdef Py_ssize_t n = best.shape[0]
    if pair_ment.shape[0] != n_pairs or pair_scores.shape[0] != n_pairs:
        raise ValueError("pair arrays differ in length")
    if single_scores.shape[0] != n or best_scores.shape[0] != n:
        raise ValueError("mention arrays differ in length")
    cdef Py_ssize_t p
    for p in range(n_pairs):
        if not (0 <= pair_ant[p] < pair_ment[p] < n):
            raise IndexError(f"pair {p} ({pair_ant[p]}, {pair_ment[p]}) is not an earlier mention")
    cdef int32_t j
    cdef float score
    with nogil:
        for p in range(n_pairs):
            j = pair_ment[p]
            score = pair_scores[p]
            if score > single_scores[j] + threshold_offset and (best[j] < 0 or score > best_scores[j]):
                best[j] = pair_ant[p]
                best_scores[j] = score


def cluster_ids(const int32_t[::1] best):
    """Cluster id of every mention from its antecedent link (antecedents come first).

    RETURNS (ndarray): int32 [n]; a mention without antecedent starts its own cluster.
    """
    cdef Py_ssize_t n = best.shape[0]
    out = numpy.empty(n, dtype="int32")
    cdef int32_t[::1] ids = out
    cdef Py_ssize_t j
    with nogil:
        for j in range(n):
            if 0 <= best[j] < j:
                ids[j] = ids[best[j]]
            else:
                ids[j] = <int32_t>j
    return out
