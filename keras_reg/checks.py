"""The one set of argument checks used everywhere: run specs, builders, layers, regularizers, scripts.

Each check is a small object called as ``check(name, value)``; it returns the value (normalized,
e.g. an int given for a float becomes a float) or raises :class:`ConfigError` with Keras's message
format, naming the argument, what is allowed and what was received, on one line. A check also says
what kind of command-line flag it maps to, so that the scripts' flags are derived from the same
declarations (:mod:`keras_reg.cli`).

Pure Python (no Keras), so that a script can refuse a bad flag before anything heavy is imported.
"""

import dataclasses
import math
import numbers

__all__ = [
    "ConfigError",
    "Choice",
    "Number",
    "Integer",
    "Boolean",
    "Text",
    "Param",
    "PROBABILITY",
    "KEEP_PROB",
    "NONNEGATIVE",
    "POSITIVE",
    "SEED",
]


class ConfigError(ValueError):
    """A setting is out of range; the message names it, its value and what is allowed, on one line."""

    def __init__(self, name, value, expected, message=None):
        self.name, self.value, self.expected, self.message = name, value, expected, message
        super().__init__(
            message or f"Invalid value received for argument `{name}`. Expected {expected}. Received: {name}={value!r}"
        )

    def __reduce__(self):  # rebuilt from its fields when it crosses a process boundary
        return type(self), (self.name, self.value, self.expected, self.message)


def _is_real(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


@dataclasses.dataclass(frozen=True)
class Choice:
    """One of a fixed set of values (compared with their type, so True is not 1)."""

    choices: tuple

    flag = "enum"

    def __call__(self, name, value):
        if not any(type(value) is type(c) and value == c for c in self.choices):
            raise ConfigError(name, value, f"one of {', '.join(map(str, self.choices))}")
        return value


@dataclasses.dataclass(frozen=True)
class Number:
    """A finite real number in [low, high], either end open if asked."""

    low: float = -math.inf
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False
    expected: str = ""

    flag = "float"

    def __call__(self, name, value):
        ok = _is_real(value) and math.isfinite(value)
        ok = ok and (value > self.low if self.low_open else value >= self.low)
        ok = ok and (value < self.high if self.high_open else value <= self.high)
        if not ok:
            raise ConfigError(name, value, self.expected or self._describe())
        return float(value)

    def _describe(self):
        left, right = "(" if self.low_open else "[", ")" if self.high_open else "]"
        return f"a finite number in {left}{self.low:g}, {self.high:g}{right}"


@dataclasses.dataclass(frozen=True)
class Integer:
    """An integer (not a bool) in [low, high]."""

    low: int = 0
    high: int = 2**31 - 1
    expected: str = ""

    flag = "integer"

    def __call__(self, name, value):
        if not (isinstance(value, numbers.Integral) and not isinstance(value, bool) and self.low <= value <= self.high):
            raise ConfigError(name, value, self.expected or f"an integer in [{self.low}, {self.high}]")
        return int(value)


@dataclasses.dataclass(frozen=True)
class Boolean:
    flag = "bool"

    def __call__(self, name, value):
        if not isinstance(value, bool):
            raise ConfigError(name, value, "True or False")
        return value


@dataclasses.dataclass(frozen=True)
class Text:
    """A non-empty string (a name, a path)."""

    expected: str = "a non-empty string"

    flag = "string"

    def __call__(self, name, value):
        if not isinstance(value, str) or not value:
            raise ConfigError(name, value, self.expected)
        return value


PROBABILITY = Number(0.0, 1.0, expected="a probability in [0, 1]")
KEEP_PROB = Number(0.0, 1.0, low_open=True, expected="a keep probability in (0, 1]")
NONNEGATIVE = Number(0.0, expected="a finite number >= 0")
POSITIVE = Number(0.0, low_open=True, expected="a finite number > 0")
SEED = Integer(0, 2**31 - 1)
OPTIONAL_SEED = Integer(-(2**31), 2**31 - 1, "an integer or None")  # a builder's seed (None: unseeded)


@dataclasses.dataclass(frozen=True)
class Param:
    """One argument of a builder or data set, declared once: its default, check, help and relevance.

    ``used(values)`` says, given all the values of the builder's (or data set's) arguments, whether
    this one decides the run (``alpha`` does not when there is no penalty); an argument that does not
    is put back to its default in :meth:`keras_reg.spec.RunSpec.identity`, so that two runs that
    train identically are recognized as one.
    """

    default: object
    check: object
    help: str
    used: object = None

    def decides(self, values):
        return self.used is None or bool(self.used(values))


def declared(params):
    """Decorates a builder whose arguments ``params`` (name -> :class:`Param`) declares: each such
    argument gets its default and its check from there, so the body trusts them and the run spec,
    the scripts' flags and a direct call all read the one declaration. The body lists them first,
    without defaults; its other arguments keep their own."""
    import functools
    import inspect

    def wrap(fn):
        signature = inspect.signature(fn)
        undeclared = [name for name in params if name not in signature.parameters]
        if undeclared:
            raise TypeError(f"{fn.__name__} has no argument {', '.join(undeclared)} of its declaration")

        @functools.wraps(fn)
        def checked(*args, **kwargs):
            bound = signature.bind_partial(*args, **kwargs).arguments
            for name, param in params.items():
                bound[name] = param.check(name, bound[name]) if name in bound else param.default
            return fn(**bound)

        checked.__signature__ = signature.replace(
            parameters=[
                p.replace(default=params[p.name].default) if p.name in params else p
                for p in signature.parameters.values()
            ]
        )
        checked.params = params
        return checked

    return wrap
