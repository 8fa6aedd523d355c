"""Equations (3) and (7) of the paper against a numerical solver, and what they say about sparsity."""

import numpy as np
import pytest

from keras_reg.studies.paper import geometry


@pytest.mark.parametrize("alpha", [0.0, 0.3, 1.0, 1.5, 3.0])
def test_equation_3_is_the_l1_optimum(alpha):
    exact = geometry.l1_optimum(geometry.W_STAR, np.diag(geometry.H_DIAGONAL), alpha)
    np.testing.assert_allclose(geometry.solve(geometry.W_STAR, geometry.H_DIAGONAL, alpha, "l1"), exact, atol=1e-8)


@pytest.mark.parametrize("alpha", [0.0, 0.3, 1.0, 3.0])
def test_equation_7_is_the_l2_optimum_for_a_rotated_hessian(alpha):
    exact = geometry.l2_optimum(geometry.W_STAR, geometry.H_ROTATED, alpha)
    np.testing.assert_allclose(geometry.solve(geometry.W_STAR, geometry.H_ROTATED, alpha, "l2"), exact, atol=1e-8)


def test_l1_reaches_an_axis_at_a_finite_alpha_and_l2_never_does():
    h = np.diag(geometry.H_DIAGONAL)
    first_zero = (h * np.abs(geometry.W_STAR)).min()  # alpha = H_ii |w*_i|: 0.3 for the second weight
    assert geometry.l1_optimum(geometry.W_STAR, h, first_zero - 1e-3)[1] > 0
    assert geometry.l1_optimum(geometry.W_STAR, h, first_zero)[1] == 0.0
    assert np.all(geometry.l2_optimum(geometry.W_STAR, geometry.H_ROTATED, 100.0) != 0.0)


def test_the_figures_are_drawn(tmp_path):
    assert {p.name for p in geometry.draw(tmp_path, alphas=np.linspace(0, 2, 9))} == {
        "fig1_l1.png",
        "fig1_l1.pdf",
        "fig2_l2.png",
        "fig2_l2.pdf",
    }
