"""The embedding picture: raw C in 2-D, principal components otherwise, steady signs."""
import numpy as np

from core.diagnostics.embedding import group, nearest, project


def test_two_dimensions_are_c_itself():
    C = np.random.default_rng(0).standard_normal((27, 2)).astype(np.float32)
    p = project(C)
    assert p.raw and np.array_equal(p.points, C.astype(np.float64))
    assert p.labels == ("C[:, 0]", "C[:, 1]")


def test_more_dimensions_are_the_first_two_principal_components():
    rng = np.random.default_rng(1)
    C = rng.standard_normal((27, 10)) * np.array([5, 2] + [0.1] * 8)   # most variance in two directions
    p = project(C)
    centred = C - C.mean(0)
    eigenvalues, eigenvectors = np.linalg.eigh(np.cov(centred.T))
    top = eigenvectors[:, ::-1][:, :2]
    # the same plane, each axis up to its sign
    assert np.allclose(np.abs(p.points), np.abs(centred @ top), atol=1e-8)
    assert np.allclose(p.variance_share, eigenvalues[::-1][:2] / eigenvalues.sum())
    assert p.variance_share[0] > 0.8 and p.labels[0].startswith("PC1 (")


def test_signs_stay_from_frame_to_frame():
    rng = np.random.default_rng(2)
    C = rng.standard_normal((27, 10)) * np.linspace(3, 1, 10)
    first = project(C)
    # a tiny change to C can flip an SVD's signs; the picture must not flip
    second = project(C + 1e-6 * rng.standard_normal(C.shape), previous=first)
    assert np.allclose(second.points, first.points, atol=1e-4)
    flipped = project(-C, previous=first)     # C negated: the points are the negation, axes kept
    assert np.allclose(flipped.axes, first.axes) and np.allclose(flipped.points, -first.points)


def test_groups_and_neighbours():
    assert [group(c) for c in ".aebz"] == ["boundary", "vowel", "vowel", "consonant", "consonant"]
    C = np.array([[0.0, 0], [1, 0], [0, 2], [5, 5]])
    assert nearest(C, 0, 2) == [(1, 1.0), (2, 2.0)]


def test_one_dimension_lies_on_a_line():
    C = np.arange(27, dtype=np.float64).reshape(27, 1)
    p = project(C)
    assert p.points.shape == (27, 2) and np.allclose(p.points[:, 1], 0)
    assert np.allclose(np.abs(p.points[:, 0]), np.abs(C[:, 0] - C.mean())) and p.variance_share[0] == 1.0
