"""Backend pieces that need no model: label-word matching, top-k sums (the vLLM backend against a stand-in
`vllm` is in test_vllm_backend.py), the OpenAI-compatible client (against a scripted local server), prompt building, and the
atomic model cache folder. The real model's backends are tested in test_real_model.py."""
import json
import math
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import pytest

from elicitation import BackendError, LabelLogprobs, load_backend
from elicitation.backends.label_words import canonical, sum_topk
from elicitation.backends.openai_compat import OpenAIBackend, parse_completions
from elicitation.models import COMPLETE_MARKER, write_folder_atomically
from elicitation.prompts import PromptBuilder

WORDS = (" True", " False")


def test_a_token_matches_a_label_word_up_to_whitespace_and_case():
    assert {canonical(s) for s in (" True", "True", " true", "TRUE", "\tTrue ")} == {canonical(" True")}
    assert canonical(" untrue") != canonical(" True")


def test_topk_sums_every_variant_and_nothing_else():
    top = {" True": math.log(0.3), "True": math.log(0.1), " TRUE": math.log(0.05), " False": math.log(0.2),
           " untrue": math.log(0.2), "Truee": math.log(0.1)}
    lt, lf = sum_topk(top, WORDS)
    assert math.exp(lt) == pytest.approx(0.45)
    assert math.exp(lf) == pytest.approx(0.2)
    assert sum_topk({" maybe": -0.1}, WORDS) == (None, None)


def test_log_odds_exact_topk_and_missing():
    assert LabelLogprobs(math.log(0.6), math.log(0.2)).log_odds == pytest.approx(math.log(3))
    # top-k: the official code's eps for a missing word
    assert LabelLogprobs(math.log(0.5), None, exact=False).log_odds == pytest.approx(
        math.log(0.5 + 1e-5) - math.log(1e-5))
    missing = LabelLogprobs(None, None, exact=False)
    assert missing.log_odds == 0.0 and not missing.found


def test_vllm_backend_says_what_it_needs_when_vllm_is_missing():
    pytest.importorskip("torch")
    try:
        import vllm  # noqa: F401
        pytest.skip("vllm is installed here")
    except ImportError:
        pass
    from elicitation.backends.vllm_backend import VLLMBackend

    with pytest.raises(BackendError, match="gpu"):
        VLLMBackend.load("anything")


class ScriptedCompletions(BaseHTTPRequestHandler):
    """A stand-in for a vLLM OpenAI-compatible server: replies in the completions API's shape with
    top-logprobs derived from a `signal=` number in each prompt."""

    requests: list = []

    def log_message(self, *args):
        pass

    def _reply(self, payload, status=200):
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/v1/models":
            self._reply({"data": [{"id": "tiny", "max_model_len": 64}]})
        else:
            self._reply({"error": "no"}, 404)

    def do_POST(self):
        data = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append((self.path, data))
        if self.path == "/tokenize":
            self._reply({"count": len(data["prompt"].split()), "max_model_len": 64})
            return
        choices = []
        for i, prompt in enumerate(data["prompt"]):
            s = float(prompt.rsplit("signal=", 1)[1].split()[0]) if "signal=" in prompt else None
            top = {" maybe": -0.1} if s is None else {
                " True": -math.log1p(math.exp(-s)), " False": -math.log1p(math.exp(s))}
            choices.append({"index": i, "text": " True", "logprobs": {"top_logprobs": [top]}})
        choices.reverse()  # servers may return choices in any order; `index` says which prompt
        self._reply({"choices": choices, "usage": {"prompt_tokens": 7 * len(choices)}})


@pytest.fixture
def scripted_server():
    ScriptedCompletions.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), ScriptedCompletions)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_openai_backend_against_a_scripted_server(scripted_server):
    backend = load_backend(model=None, kind="openai", base_url=scripted_server)
    assert backend.model == "tiny" and backend.context_length == 64
    assert backend.count_tokens("a b c") == 3
    batch = backend.score_batch(["x signal=2", "y signal=-1", "z nothing"], WORDS)
    assert [r.log_odds for r in batch.results[:2]] == [pytest.approx(2, abs=1e-4), pytest.approx(-1, abs=1e-4)]
    assert not batch.results[2].found and batch.tokens == 21
    path, payload = [r for r in ScriptedCompletions.requests if r[0] == "/v1/completions"][0]
    assert payload["max_tokens"] == 1 and payload["logprobs"] == 20 and payload["temperature"] == 0


def test_openai_backend_reports_an_unreachable_server():
    with pytest.raises(BackendError, match="pass --model"):
        OpenAIBackend("http://127.0.0.1:9/v1", timeout=2)
    backend = OpenAIBackend("http://127.0.0.1:9/v1", "m", timeout=2)
    with pytest.raises(BackendError, match="127.0.0.1:9"):
        backend.score_batch(["a"], WORDS)


def test_malformed_completion_replies_are_errors():
    with pytest.raises(BackendError, match="1 choices for 2 prompts"):
        parse_completions({"choices": [{"index": 0, "logprobs": {"top_logprobs": [{}]}}]}, 2, WORDS)
    with pytest.raises(BackendError, match="top_logprobs"):
        parse_completions({"choices": [{"index": 0, "logprobs": None}]}, 1, WORDS)


def test_prompt_builder_joins_demonstrations_and_strips_the_space_before_a_spaced_label_word():
    b = PromptBuilder(["Claim A. I think this claim is ", "Claim B. I think this claim is "], WORDS)
    assert b.prompt([(1, False)], 0) == "Claim B. I think this claim is False\n\nClaim A. I think this claim is"
    assert b.prompt([], 1) == "Claim B. I think this claim is"
    plain = PromptBuilder(["Q: x\nA:"], ("yes", "no"))
    assert plain.demonstration(0, True) == "Q: x\nA:yes"  # words without a leading space: prompt untouched


def test_model_folders_are_written_atomically(tmp_path):
    dest = tmp_path / "cache" / "model"

    def crash(folder: Path):
        (folder / "weights.bin").write_bytes(b"half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_folder_atomically(dest, crash, marker={})
    assert not dest.exists() and list((tmp_path / "cache").iterdir()) == []

    write_folder_atomically(dest, lambda folder: (folder / "weights.bin").write_bytes(b"all"), marker={"ok": 1})
    assert (dest / "weights.bin").read_bytes() == b"all" and (dest / COMPLETE_MARKER).is_file()
    assert [p.name for p in (tmp_path / "cache").iterdir()] == ["model"]
    # a second writer finding a complete folder leaves it and cleans up after itself
    write_folder_atomically(dest, lambda folder: (folder / "weights.bin").write_bytes(b"other"), marker={})
    assert (dest / "weights.bin").read_bytes() == b"all"
    assert [p.name for p in (tmp_path / "cache").iterdir()] == ["model"]
