"""Keras layers for regularization, one a module, each on every Keras 3 backend (``keras.ops`` and
``keras.random`` only) and registered for ``.keras`` saving:

* :class:`StochasticDepth` and :func:`linear_decay` (Huang et al. 2016; the CNN report);
* :class:`PadChannels`, the zero-padded shortcut of a widening layer;
* :class:`FixedMaskDropout`, the planar tutorial's Dropout (one mask for every step).
"""

from keras_reg.layers.fixed_mask_dropout import FixedMaskDropout
from keras_reg.layers.pad_channels import PadChannels
from keras_reg.layers.stochastic_depth import DECAY_RULES, MODES, SCALES, StochasticDepth, linear_decay

__all__ = ["StochasticDepth", "PadChannels", "FixedMaskDropout", "linear_decay", "MODES", "SCALES", "DECAY_RULES"]
