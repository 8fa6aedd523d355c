"""The planar experiment's L2 is the tutorial's lambd / m."""

import pytest

from keras_reg import regularizers
from keras_reg.run.experiment import EXPERIMENTS
from keras_reg.studies.planar import model as planar_model


def test_planar_l2_is_the_tutorials_lambd_over_m():
    # The planar tutorial's cost adds lambd/(2m) sum W^2 to a mean over m = 211 points; L2(alpha) is
    # alpha/2 sum W^2, so alpha = lambd / m.
    import numpy as np

    alpha = EXPERIMENTS["planar"].spec("l2").builder_args["alpha"]
    assert alpha == pytest.approx(0.7 / 211)
    model = planar_model.planar_mlp("l2", alpha=alpha, seed=0)
    kernels = [layer.kernel.numpy() for layer in model.layers if hasattr(layer, "kernel")]
    tutorial = 0.7 / (2 * 211) * sum(float(np.sum(np.square(w))) for w in kernels)
    ours = sum(float(regularizers.L2(alpha)(w)) for w in kernels)
    assert ours == pytest.approx(tutorial, rel=1e-6)
