import pytest

from . import tiny_model


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    return tiny_model.build(tmp_path_factory.mktemp("tiny-llama"))


@pytest.fixture(scope="session")
def tiny_backend(tiny_model_dir):
    from elicitation.backends.hf import HFBackend

    return HFBackend.load(str(tiny_model_dir), device="cpu")
