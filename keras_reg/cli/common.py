"""What every program shares: exit statuses, one-line errors, the flags parser and argument checks."""

import sys

from absl import flags

from keras_reg import checks

__all__ = ["EXIT", "fail", "flags_parser", "guarded", "int_list", "no_arguments"]

EXIT = {"ok": 0, "usage": 2, "diverged": 3, "data": 4, "worker": 5, "os": 6, "interrupted": 130}


def fail(program, message, status):
    print(f"{program}: error: {message}", file=sys.stderr)
    return status


def flags_parser(program, fv=None):
    """An absl ``flags_parser`` that reports a bad flag on one line and exits with status 2."""

    def parse(argv):
        try:
            return (fv or flags.FLAGS)(argv)
        except flags.Error as e:
            sys.exit(fail(program, f"{e} (see --help)", EXIT["usage"]))
        except (UnicodeDecodeError, OSError) as e:  # a --flagfile that is not text, or cannot be read
            sys.exit(
                fail(program, f"a flag file could not be read ({type(e).__name__}: {e}); see --help", EXIT["usage"])
            )

    return parse


def guarded(program, work):
    """Runs ``work()`` and turns the errors a user can cause into one line and an exit status."""
    from keras_reg.data import DataError
    from keras_reg.run.grid import WorkerError
    from keras_reg.run.rundir import DivergenceError, RunDirError

    try:
        return work()
    except (checks.ConfigError, RunDirError, FileNotFoundError) as e:
        return fail(program, str(e), EXIT["usage"])
    except DivergenceError as e:
        return fail(program, str(e), EXIT["diverged"])
    except DataError as e:
        return fail(program, str(e), EXIT["data"])
    except WorkerError as e:
        return fail(program, str(e), EXIT["worker"])
    except KeyboardInterrupt:
        return fail(
            program,
            "interrupted; run the same command again to resume from the last completed epoch",
            EXIT["interrupted"],
        )
    except OSError as e:  # disk full, a read-only folder, a directory where a file should be, ...
        path = e.filename2 or e.filename  # a failed atomic write: the file it replaces, not its temporary copy
        where = f"{path}: " if path else ""
        return fail(
            program,
            f"{where}{e.strerror or e}; nothing already computed is lost (a run keeps its completed epochs): "
            "fix that and run the same command again",
            EXIT["os"],
        )


def int_list(text, name):
    try:
        values = [int(v) for v in str(text).split(",") if v.strip() != ""]
    except ValueError:
        values = []
    if not values or any(v < 0 for v in values) or len(set(values)) != len(values):
        raise checks.ConfigError(name, text, "a comma-separated list of distinct integers >= 0, e.g. 0,1,2")
    return tuple(values)


def no_arguments(argv):
    if len(argv) > 1:
        raise checks.ConfigError(
            "arguments", argv[1:], None, f"unexpected arguments {argv[1:]}; every setting is a --flag (see --help)"
        )
