"""A compiled training epoch and evaluation for a compiled Keras model: the trainer's fast path.

Keras's ``fit`` pays Python and input-pipeline costs at every batch of 100. Here one call runs a
whole epoch inside the backend's compiler, with the data resident on the device and the batch
order given as an index array:

* TensorFlow: a ``tf.function`` graph loops over the batches; each step's forward and backward
  pass runs as TensorFlow's own kernels (oneDNN's where TensorFlow enables them, docs/speed.md).
  An XLA cluster for the step was measured slower on a 2-core CPU (in runs that alternated both in
  one process), and Keras's Dropout under XLA on the CPU draws its random numbers far more slowly
  than TensorFlow's Philox kernel (the 8x slower ``jit_compile`` Dropout run). With plain SGD
  (the paper's) each weight is updated in place by one fused kernel
  (ResourceApplyGradientDescent), the paper's penalties applied in closed form; any other
  optimizer or regularizer goes through ``optimizer.apply`` and autodiff.
* JAX: ``jax.jit`` over ``lax.scan`` of ``model.stateless_call`` and ``optimizer.stateless_apply``.
  :class:`SeedStack` trains several models of one architecture (the seeds of one configuration)
  as one computation: ``jax.vmap`` of that epoch over the models' stacked variables.

The model must be compiled with its optimizer and loss (``model.compile(optimizer, loss)``);
penalties are the ``regularizer`` of each trainable variable (Keras's ``kernel_regularizer``), and
add to the loss exactly as ``model.losses`` would. When the model ends in a softmax layer and the
loss is Keras's sparse cross-entropy on probabilities, the loss is computed from the logits behind
that layer on every backend, as Keras's TensorFlow backend does (:func:`_logits_and_probabilities`).
Batches are ``batch_size`` rows of the given order; a remainder shorter than a batch is left out of
that epoch (documented in the README).
"""

import keras

from keras_reg.run.engine.base import Engine, EpochResult
from keras_reg.run.engine.jax_engine import SeedStack, _JaxEngine
from keras_reg.run.engine.tf_engine import _TensorFlowEngine

__all__ = ["Engine", "EpochResult", "SeedStack", "make_engine"]


def make_engine(model, batch_size, eval_batch_size=10000, eval_training=False, metric="sparse_categorical_accuracy"):
    """The compiled-epoch engine for the current Keras backend (TensorFlow or JAX)."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        return _TensorFlowEngine(model, batch_size, eval_batch_size, eval_training, metric)
    if backend == "jax":
        return _JaxEngine(model, batch_size, eval_batch_size, eval_training, metric)
    raise NotImplementedError(
        f"keras_reg's trainer supports the 'tensorflow' and 'jax' backends; KERAS_BACKEND is {backend!r}."
    )
