"""Experiments as data: each a base run spec, named cases (small diffs on it), references and artifacts.

:data:`EXPERIMENTS` is the one registry the runner (``scripts/run_experiment.py``), the one-run
script (``scripts/train.py``) and the artifacts read. An entry holds:

* ``base``: settings of :func:`keras_reg.run.spec.make_spec` shared by every case;
* ``protocols``: named alternatives for settings the source leaves unstated (the first is the
  default; a protocol is a diff on the base, applied before the case's; its optional ``"cases"``,
  case name -> diff, is applied after the case's own);
* ``cases``: case name -> its diff on the base;
* ``reference``: the published numbers the runs are compared with, and where they come from;
* ``artifacts``: what the report draws: ``(kind, options)`` pairs, a kind of
  :data:`keras_reg.artifacts.registry.ARTIFACTS` with the objects it needs.

The studies (``keras_reg/studies/<study>/experiment.py``) register theirs; your own is one
:func:`register` call (the README, "Add your own experiment").
"""

import dataclasses

from keras_reg.checks import Choice, ConfigError
from keras_reg.run.spec import make_spec

__all__ = ["Experiment", "Reference", "EXPERIMENTS", "PALETTE", "register", "get"]

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")


@dataclasses.dataclass(frozen=True)
class Reference:
    """Published numbers: ``tables[name][case]`` is a row of values (percent) at ``epochs``."""

    source: str
    epochs: tuple
    tables: dict
    labels: dict = dataclasses.field(default_factory=dict)  # table name -> its title


@dataclasses.dataclass(frozen=True)
class Experiment:
    """One experiment; see the module docstring. ``labels`` and ``colors`` default from the case names."""

    name: str
    description: str
    base: dict
    cases: dict
    artifacts: tuple = ()
    protocols: dict = dataclasses.field(default_factory=lambda: {"default": {}})
    reference: Reference | None = None
    labels: dict = dataclasses.field(default_factory=dict)
    colors: dict = dataclasses.field(default_factory=dict)
    seeds: tuple = (0,)
    baseline: str | None = None

    def label(self, case):
        return self.labels.get(case, case)

    def color(self, case):
        return self.colors.get(case) or PALETTE[list(self.cases).index(case) % len(PALETTE)]

    def reference_case(self, case):
        """The row of the reference this case is compared with (its name, or its last part)."""
        if self.reference is None:
            return None
        for key in (case, case.rsplit("/", 1)[-1]):
            if any(key in rows for rows in self.reference.tables.values()):
                return key
        return None

    def check_cases(self, cases):
        for case in cases:
            Choice(tuple(self.cases))("case", case)
        return tuple(cases)

    def spec(self, case, seed=None, protocol=None, **overrides):
        """The validated run spec of one case (under a protocol, default the first), with overrides."""
        self.check_cases([case])
        protocol = self._protocol(protocol)
        shared = dict(self.protocols[protocol])
        own = shared.pop("cases", {}).get(case, {})
        values = {**self.base, **shared, **self.cases[case], **own, "seed": self.seeds[0] if seed is None else seed}
        return make_spec(**{**values, **{k: v for k, v in overrides.items() if v is not None}})

    def check_overrides(self, cases, protocol, overrides):
        """Raises ConfigError if an override changes a setting that one of ``cases`` itself defines
        (its own diff, or its protocol's diff for it): an L2 run must not land under ``dropout/``."""
        protocol = self._protocol(protocol)
        for case in self.check_cases(cases):
            defined = {**self.cases[case], **self.protocols[protocol].get("cases", {}).get(case, {})}
            for name, value in overrides.items():
                if value is not None and name in defined and value != defined[name]:
                    raise ConfigError(
                        name,
                        value,
                        None,
                        f"--{name}={value} contradicts case {case} of experiment {self.name}, which sets "
                        f"{name}={defined[name]!r}; choose the case that has it, or leave the flag out",
                    )

    @property
    def default_protocol(self):
        return next(iter(self.protocols))

    def _protocol(self, protocol):
        """The name of a protocol, checked (None: the default)."""
        return self.default_protocol if protocol is None else Choice(tuple(self.protocols))("protocol", protocol)

    def grid(self, cases=None, seeds=None, protocol=None, **overrides):
        """{"<case>/seed_<k>": RunSpec} for the cases and seeds (default: all cases, its seeds)."""
        cases = self.check_cases(self.cases if cases is None else cases)
        seeds = self.seeds if seeds is None else seeds
        return {f"{case}/seed_{seed}": self.spec(case, seed, protocol, **overrides) for case in cases for seed in seeds}


EXPERIMENTS = {}


def register(experiment):
    """Adds an experiment to :data:`EXPERIMENTS` (checking that every case's spec is valid); returns it."""
    for case in experiment.cases:
        for protocol in experiment.protocols:
            experiment.spec(case, protocol=protocol)
    EXPERIMENTS[experiment.name] = experiment
    return experiment


def get(name):
    if name not in EXPERIMENTS:
        raise ConfigError("experiment", name, f"one of {', '.join(EXPERIMENTS)}")
    return EXPERIMENTS[name]
