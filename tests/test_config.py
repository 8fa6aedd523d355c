import pytest

from keras_reg import experiments, paper
from keras_reg.config import PROTOCOLS, ConfigError, RunConfig, make_config


def test_defaults_are_the_paper_setup():
    config = RunConfig().validate()
    assert (config.alpha, config.keep_prob, config.learning_rate, config.epochs) == (0.0005, 0.5, 0.5, 100)
    assert (config.train_examples, config.test_examples) == (60000, 10000)
    p = PROTOCOLS["paper"]
    assert (config.loss, config.initializer, config.batch_size, config.l2_form) == (p.loss, p.initializer, p.batch_size, p.l2_form)


def test_paper_cases_differ_only_in_the_regularizer():
    configs = {case: experiments.paper_case(case) for case in paper.CASES}
    assert {c.regularizer for c in configs.values()} == {"none", "l1", "l2", "dropout"}
    base = configs["standard"].to_dict()
    for config in configs.values():
        diff = {k for k, v in config.to_dict().items() if base[k] != v}
        assert diff <= {"regularizer"}


def test_explicit_choice_over_a_protocol_is_recorded_as_custom():
    assert make_config("paper").protocol == "paper"
    assert make_config("paper", batch_size=PROTOCOLS["paper"].batch_size).protocol == "paper"
    assert make_config("paper", batch_size=50).protocol == "custom"


def test_round_trip_through_a_dict():
    config = make_config("textbook", regularizer="l1", seed=4)
    assert RunConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ConfigError, match="only the fields"):
        RunConfig.from_dict({**config.to_dict(), "momentum": 0.9})


def test_precision_is_float32_unless_asked_and_recorded_in_the_config():
    assert RunConfig().precision == "float32"
    config = make_config("paper", precision="mixed_bfloat16")
    assert config.protocol == "paper"  # precision is not one of the protocol's unstated choices
    assert config.effective() != make_config("paper").effective()  # so a float32 run is not reused for it
    old = {k: v for k, v in make_config("paper").to_dict().items() if k != "precision"}
    assert RunConfig.from_dict(old).precision == "float32"  # config.json written before the option existed
    with pytest.raises(ConfigError, match="precision"):
        make_config("paper", precision="float16")


def test_config_error_names_the_setting_value_and_range():
    with pytest.raises(ConfigError) as info:
        make_config("paper", keep_prob=0.0)
    assert (info.value.name, info.value.value) == ("keep_prob", 0.0)
    assert str(info.value) == "Invalid value received for `keep_prob`. Expected a keep probability in (0, 1]. Received: keep_prob=0.0"
    with pytest.raises(ConfigError, match="`protocol`"):
        make_config("tf1")
    with pytest.raises(ConfigError, match="`epochs`"):
        make_config("paper", epochs=2.5)
    with pytest.raises(ConfigError, match="`learning_rate`"):
        make_config("paper", learning_rate=True)
