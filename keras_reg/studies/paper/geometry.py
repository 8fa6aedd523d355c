"""The geometry behind the paper's Figures 1 and 2 (section 2, equations (2)-(7)), computed.

Near an optimum w* the loss is quadratic, J(w) ~ J(w*) + 1/2 (w - w*)^T H (w - w*). With a penalty
the regularized optimum w-hat(alpha) moves:

* L1 (equation (3), H diagonal): w-hat_i = sign(w*_i) max(|w*_i| - alpha / H_ii, 0): each weight
  shrinks by a constant and reaches exactly zero at the finite alpha = H_ii |w*_i| (sparsity).
* L2 (equations (6)-(7), H = Q Lambda Q^T): w-hat = Q (Lambda + alpha I)^-1 Lambda Q^T w*: along
  each eigen-direction the weight is scaled by lambda_i / (lambda_i + alpha), never to zero.

:func:`solve` finds the same optima numerically (proximal gradient for L1, gradient descent for L2),
so the closed forms can be checked against it (tests/studies/paper/test_geometry.py). :func:`draw` makes the two
figures: loss contours, the L1 diamond or L2 circle through w-hat, and the path of w-hat(alpha).
Plain NumPy: these are two-dimensional illustrations, not training.
"""

import numpy as np

from keras_reg import checks

__all__ = ["l1_optimum", "l2_optimum", "solve", "draw", "W_STAR", "H_DIAGONAL", "H_ROTATED"]

# The example drawn: an optimum off both axes, a loss curved more steeply along the first axis.
W_STAR = np.array([1.0, 0.6])
H_DIAGONAL = np.diag([2.0, 0.5])
_ANGLE = np.pi / 6
_Q = np.array([[np.cos(_ANGLE), -np.sin(_ANGLE)], [np.sin(_ANGLE), np.cos(_ANGLE)]])
H_ROTATED = _Q @ np.diag([2.0, 0.5]) @ _Q.T


def l1_optimum(w_star, h_diagonal, alpha):
    """Equation (3): the L1-regularized optimum for a diagonal Hessian (its diagonal ``h_diagonal``)."""
    checks.NONNEGATIVE("alpha", alpha)
    w_star, h = np.asarray(w_star, float), np.asarray(h_diagonal, float)
    return np.sign(w_star) * np.maximum(np.abs(w_star) - alpha / h, 0.0)


def l2_optimum(w_star, hessian, alpha):
    """Equation (7): the L2-regularized optimum, w-hat = Q (Lambda + alpha I)^-1 Lambda Q^T w*."""
    checks.NONNEGATIVE("alpha", alpha)
    eigenvalues, q = np.linalg.eigh(np.asarray(hessian, float))
    return q @ ((eigenvalues / (eigenvalues + alpha)) * (q.T @ np.asarray(w_star, float)))


def solve(w_star, hessian, alpha, penalty, steps=20000):
    """The minimizer of 1/2 (w - w*)^T H (w - w*) + alpha * Omega(w) by iteration: proximal gradient
    (soft thresholding) for ``"l1"`` (Omega = sum |w|), gradient descent for ``"l2"`` (Omega = 1/2 sum w^2)."""
    checks.Choice(("l1", "l2"))("penalty", penalty)
    h, w_star = np.asarray(hessian, float), np.asarray(w_star, float)
    rate = 1.0 / (np.linalg.eigvalsh(h).max() + (alpha if penalty == "l2" else 0.0))
    w = np.zeros_like(w_star)
    for _ in range(steps):
        gradient = h @ (w - w_star)
        if penalty == "l2":
            w = w - rate * (gradient + alpha * w)
        else:
            z = w - rate * gradient
            w = np.sign(z) * np.maximum(np.abs(z) - rate * alpha, 0.0)
    return w


def draw(out_dir, alphas=None):
    """Figure 1 (L1) and Figure 2 (L2) as ``fig1_l1`` and ``fig2_l2`` (.png, .pdf); returns the paths."""
    from keras_reg.artifacts.io import pyplot, save_figure

    plt = pyplot()

    alphas = np.linspace(0.0, 2.2, 45) if alphas is None else np.asarray(alphas)
    grid = np.linspace(-0.4, 1.6, 301)
    xx, yy = np.meshgrid(grid, grid)
    paths = []
    for name, penalty, hessian, title in (
        ("fig1_l1", "l1", H_DIAGONAL, "Figure 1, computed: L1 (equation (3))"),
        ("fig2_l2", "l2", H_ROTATED, "Figure 2, computed: L2 (equations (6)-(7))"),
    ):
        fig, ax = plt.subplots(figsize=(5.2, 5.0))
        d = np.stack([xx - W_STAR[0], yy - W_STAR[1]], axis=-1)
        loss = 0.5 * np.einsum("...i,ij,...j->...", d, hessian, d)
        ax.contour(xx, yy, loss, levels=np.linspace(0.02, 1.2, 9), colors="#1f77b4", linewidths=0.8)
        exact = np.array(
            [
                l1_optimum(W_STAR, np.diag(hessian), a) if penalty == "l1" else l2_optimum(W_STAR, hessian, a)
                for a in alphas
            ]
        )
        solved = np.array([solve(W_STAR, hessian, a, penalty, steps=3000) for a in alphas[::4]])
        ax.plot(exact[:, 0], exact[:, 1], color="#d62728", lw=1.6, label="w-hat(alpha), closed form")
        ax.plot(solved[:, 0], solved[:, 1], "o", mfc="none", mec="k", ms=5, label="w-hat(alpha), solved numerically")
        a = alphas[len(alphas) // 4]
        w_hat = exact[len(alphas) // 4]
        t = np.linspace(0, 2 * np.pi, 400)
        if penalty == "l1":
            r = np.abs(w_hat).sum()
            ax.plot(
                r * np.sign(np.cos(t)) * np.cos(t) ** 2,
                r * np.sign(np.sin(t)) * np.sin(t) ** 2,
                color="#2ca02c",
                lw=1.2,
                label=f"|w|_1 = {r:.2f} (alpha = {a:.2f})",
            )
        else:
            r = np.linalg.norm(w_hat)
            ax.plot(r * np.cos(t), r * np.sin(t), color="#2ca02c", lw=1.2, label=f"||w||_2 = {r:.2f} (alpha = {a:.2f})")
        ax.plot(*W_STAR, "k*", ms=10, label="w* (no penalty)")
        ax.axhline(0, color="0.6", lw=0.6)
        ax.axvline(0, color="0.6", lw=0.6)
        ax.set_xlim(grid[0], grid[-1])
        ax.set_ylim(grid[0], grid[-1])
        ax.set_aspect("equal")
        ax.set_xlabel("w1")
        ax.set_ylabel("w2")
        ax.set_title(title, fontsize=10)
        ax.legend(fontsize=7, loc="upper left")
        fig.tight_layout()
        paths += save_figure(fig, out_dir, name)
    return paths
