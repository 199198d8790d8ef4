"""The shipped data files are the credited originals, byte for byte, and the README credits each one."""
import hashlib

import pytest

from studio.services.importing.presets import PRESET_DATA_DIR, PRESETS

SHA256 = {  # from ../shared/data/README.md
    "icm-wen2025/train_truthfulqa.json": "8149fae5c7f76086c922ce00d80d4aa0ae1dc6b36ac30a164c18ca1683969732",
    "icm-wen2025/test_truthfulqa.json": "5b5b17ff3774e5b0adcb295eb724c90e6c3fe90e01c7d8df72dc58fd4f05ed2b",
    "icm-wen2025/train_truthfulqa_preference.json": "43d31bbe3164cd664aa6f9de66dd9e73cdaa85a6e155995d9a48f0f320f47adc",
    "icm-wen2025/test_truthfulqa_preference.json": "07fc5571c3e1d240a2b1240a72c455f8bf7dac02e4370b16a8927292d1e40d71",
    "icm-wen2025/test_gsm8k.json": "45a108c626a476bcf5d7ac5ba23394947ac18a435afcca411123ce1fa0a8233b",
    "icm-wen2025/test_alpaca.json": "5caf03489800b51590be6ab8821c0020a661b9f43b335c71aa8b577218f527d9",
    "blog-authorship-gender/blog_gender_balanced_5000.jsonl":
        "286bc3975c1136ca3cfee678e102ff2468d1bc214745a4c8a78e5ee59114a386",
    "sst2/train.tsv": "48eac26399f8456935f81dd9e3a745c1430adb6c62e233ccfe22db4a0d15d1d1",
    "sst2/dev.tsv": "54a9c12c77e402fc14d6a66a506f24d999f596b0176eb777c972cccc2f9cc4b0",
}


def test_every_preset_file_is_shipped_and_listed():
    used = {f for spec in PRESETS.values() for f in spec.files}
    assert used == set(SHA256)


@pytest.mark.parametrize("relative", sorted(SHA256))
def test_file_is_byte_identical_to_its_origin_and_credited(relative):
    digest = hashlib.sha256((PRESET_DATA_DIR / relative).read_bytes()).hexdigest()
    assert digest == SHA256[relative]
    readme = (PRESET_DATA_DIR / "README.md").read_text()
    assert f"| {relative} |" in readme and SHA256[relative] in readme


def test_readme_states_licenses_and_credits():
    readme = (PRESET_DATA_DIR / "README.md").read_text()
    for phrase in ["Apache-2.0", "MIT", "CC BY-NC 4.0", "non-commercial research", "Socher et al. 2013",
                   "Schler, Koppel, Argamon & Pennebaker 2006", "arXiv 2506.10139"]:
        assert phrase in readme
    for spec in PRESETS.values():
        assert spec.source and spec.description
