"""The benchmark program (``scripts/benchmark.py``): its flags and its run, over :mod:`keras_reg.tools`."""

from absl import flags

from keras_reg import checks
from keras_reg.cli.common import EXIT, guarded, int_list, no_arguments
from keras_reg.run import spec
from keras_reg.run.experiment import EXPERIMENTS


def define_benchmark_flags(fv):
    flags.DEFINE_integer(
        "epochs", 5, "Epochs timed per path and case (the first is a warm-up and not counted).", flag_values=fv
    )
    flags.DEFINE_string("protocol", "paper", "The paper protocol whose model is timed.", flag_values=fv)
    flags.DEFINE_list(
        "cases", ["standard", "l1", "l2", "dropout"], "Which of the paper's cases to time.", flag_values=fv
    )
    flags.DEFINE_integer(
        "matmul_size",
        2048,
        "Side of the square matrix product that measures the limit (in the trainer's compute dtype: float32, or bfloat16 with --precision=mixed_bfloat16).",
        flag_values=fv,
    )
    flags.DEFINE_string("json_out", "results/benchmark.json", "Where the results go as JSON.", flag_values=fv)
    flags.DEFINE_string("data_source", "auto", "Where MNIST comes from (see train.py --helpfull).", flag_values=fv)
    flags.DEFINE_enum(
        "precision",
        "float32",
        list(spec.PRECISIONS),
        "The trainer's precision (the plain path is always float32); the limit is measured in its compute dtype.",
        flag_values=fv,
    )
    flags.DEFINE_integer(
        "cnn_examples",
        0,
        "If > 0, instead: time the CNN report's network (the cnn experiment's baseline) on this many training images against a tuned plain-Keras path.",
        lower_bound=0,
        flag_values=fv,
    )
    flags.DEFINE_integer(
        "curves_epochs",
        0,
        "If > 0, instead of timing: train both paths this many epochs per seed and compare their accuracy curves.",
        flag_values=fv,
    )
    flags.DEFINE_string("curves_seeds", "0,1,2", "Seeds of the curve comparison.", flag_values=fv)
    flags.DEFINE_string("curves_out", "results/curves.csv", "Where the curve comparison goes as CSV.", flag_values=fv)


def run_benchmark(fv, argv, program="benchmark.py"):
    """benchmark.py: plain Keras vs the trainer, per case, with the matmul limit."""

    def work():
        import json

        from keras_reg import data
        from keras_reg.artifacts.io import write_text
        from keras_reg.tools import benchmark, benchmark_cnn, curves

        no_arguments(argv)
        paper = EXPERIMENTS["paper"]
        cases = paper.check_cases(fv.cases)
        checks.Integer(2, 10**6, "an integer >= 2 (the first is a warm-up)")("epochs", fv.epochs)
        checks.Integer(64, 10**5, "an integer >= 64")("matmul_size", fv.matmul_size)
        if fv.cnn_examples > 0:
            cnn_spec = EXPERIMENTS["cnn"].spec("baseline", data_source=fv.data_source, train_examples=fv.cnn_examples)
            result = benchmark_cnn.benchmark_cnn(cnn_spec, data.load_mnist(fv.data_source), fv.epochs)
            print(benchmark_cnn.cnn_table(result))
            write_text(fv.json_out, json.dumps(result, indent=2) + "\n")
            print(f"wrote {fv.json_out}")
            return EXIT["ok"]
        configs = {
            case: paper.spec(case, protocol=fv.protocol, data_source=fv.data_source, precision=fv.precision)
            for case in cases
        }
        if fv.curves_epochs > 0:
            rows = curves.compare_curves(
                configs, data.load_mnist(fv.data_source), int_list(fv.curves_seeds, "curves_seeds"), fv.curves_epochs
            )
            text = "case,path,seed,epoch,train_accuracy,test_accuracy\n" + "".join(
                ",".join(map(str, r)) + "\n" for r in rows
            )
            write_text(fv.curves_out, text)
            print(curves.curves_summary(rows))
            print(f"wrote {fv.curves_out}")
            return EXIT["ok"]
        results = benchmark.run(configs, data.load_mnist(fv.data_source), fv.epochs, fv.matmul_size)
        print(benchmark.table(results))
        write_text(fv.json_out, json.dumps(results, indent=2) + "\n")
        print(f"wrote {fv.json_out}")
        return EXIT["ok"]

    return guarded(program, work)
