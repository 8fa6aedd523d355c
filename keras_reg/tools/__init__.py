"""Measuring tools that the training code never imports: the benchmark of the trainer against plain
Keras (:mod:`~keras_reg.tools.benchmark`, :mod:`~keras_reg.tools.benchmark_cnn`), the hardware's
limit (:mod:`~keras_reg.tools.ceiling`) and the curve comparison (:mod:`~keras_reg.tools.curves`)."""
