"""The CNN report's network: the trainer against a tuned plain Keras path (``fit`` with
``jit_compile`` and ``steps_per_execution``), alternated in one run."""

import numpy as np

from keras_reg.run import engine, loop
from keras_reg.tools.benchmark import alternate, model_inputs, plain_epoch

__all__ = ["cnn_epoch_flops", "benchmark_cnn", "cnn_table"]


def cnn_epoch_flops(model, train_examples, eval_examples):
    """(training, evaluation) floating-point operations of an epoch of a network of Conv2D and Dense
    layers: 2 multiply-adds per weight use forward; training adds the weight gradients and the input
    gradients (as much again each) except the first layer's input gradient."""
    import keras

    macs = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            macs.append(int(np.prod(layer.output.shape[1:3])) * int(np.prod(layer.kernel.shape)))
        elif isinstance(layer, keras.layers.Dense):
            macs.append(int(np.prod(layer.kernel.shape)))
    forward = 2 * sum(macs)
    return (forward + 2 * sum(macs) + 2 * sum(macs[1:])) * train_examples, forward * eval_examples


def _tuned_plain(spec, steps_per_epoch, steps_per_execution):
    """The spec's model compiled as a user who tuned plain Keras would: XLA and many steps per call."""
    import keras

    keras.utils.set_random_seed(spec.seed)
    model = loop.build_model(spec, steps_per_epoch)
    model.compile(optimizer=model.optimizer, loss=model.loss, jit_compile=True, steps_per_execution=steps_per_execution)
    return model


def benchmark_cnn(spec, datasets, epochs=3, steps_per_execution=100, eval_batch=1000, log=print):
    """Alternately timed epochs of the tuned plain path (``fit`` with ``jit_compile=True`` and
    ``steps_per_execution``, ``evaluate`` of the training and test sets in batches of ``eval_batch``)
    and the trainer, for one CNN spec (its ``train_examples`` cut the epoch); medians after the first."""

    (x, y), (x_test, y_test) = model_inputs(spec, datasets)
    steps = len(x) // spec.batch_size
    plain = _tuned_plain(spec, steps, steps_per_execution)
    fast = loop.build_model(spec, steps)
    fast.set_weights(plain.get_weights())
    trainer = engine.make_engine(fast, spec.batch_size)
    device_arrays = trainer.put(x, y), trainer.put(x_test, y_test)

    def one_plain_epoch():
        return plain_epoch(plain, x, y, x_test, y_test, spec.batch_size, eval_batch)

    plain_times, fast_times = alternate(
        one_plain_epoch, trainer, device_arrays, spec.seed, epochs, f"cnn ({len(x)} training images)", log
    )
    train_flops, eval_flops = cnn_epoch_flops(fast, steps * spec.batch_size, len(x) + len(x_test))
    plain_s, fast_s = float(np.median(plain_times[1:])), float(np.median(fast_times[1:]))
    return {
        "train_examples": len(x),
        "test_examples": len(x_test),
        "batch_size": spec.batch_size,
        "steps_per_execution": steps_per_execution,
        "eval_batch": eval_batch,
        "epoch_flops": {"train": train_flops, "eval": eval_flops},
        "plain_seconds": plain_s,
        "trainer_seconds": fast_s,
        "speedup": float(np.median([p / f for p, f in zip(plain_times[1:], fast_times[1:])])),
        "trainer_gflops": (train_flops + eval_flops) / fast_s / 1e9,
        "plain_epochs": plain_times,
        "trainer_epochs": fast_times,
    }


def cnn_table(result, full_train=60000, full_test=10000):
    """The CNN benchmark as Markdown, with the full epoch projected from the timed one by its FLOPs."""
    work = result["epoch_flops"]["train"] + result["epoch_flops"]["eval"]
    scale = (full_train * 3 + full_train + full_test) / (
        result["train_examples"] * 3 + result["train_examples"] + result["test_examples"]
    )
    lines = [
        f"The CNN report's network, {result['train_examples']} training and {result['test_examples']} test images per timed epoch "
        f"(batches of {result['batch_size']}; {work / 1e12:.2f} TFLOP), medians of {len(result['plain_epochs']) - 1} epochs after the first.",
        "",
        "| path | s/epoch (timed) | full epoch, projected (s) | GFLOP/s |",
        "| --- | --- | --- | --- |",
        f"| plain Keras: fit(jit_compile=True, steps_per_execution={result['steps_per_execution']}), evaluate(batch_size={result['eval_batch']}) | "
        f"{result['plain_seconds']:.2f} | {result['plain_seconds'] * scale:.0f} | {work / result['plain_seconds'] / 1e9:.1f} |",
        f"| keras_reg trainer | {result['trainer_seconds']:.2f} | {result['trainer_seconds'] * scale:.0f} | {result['trainer_gflops']:.1f} |",
        "",
        f"Speed-up of the trainer (median of the paired epochs): {result['speedup']:.2f}x. The projection scales by the epoch's "
        "work in forward-pass units (training images x 3 + evaluated images).",
    ]
    return "\n".join(lines) + "\n"
