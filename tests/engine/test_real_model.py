"""The engine on the bundled model (SmolLM2-135M-Instruct) and real SST-2 sentences (GLUE SST-2 dev, Socher
et al. 2013): scoring against running every prompt alone, a seeded 16-example run, determinism, stop and
resume from a checkpoint, the context-window refusal, the command line, and the OpenAI-compatible client
against a local server whose log-probabilities come from the same model.

Kept small (a handful of sentences, a few iterations) so the file runs in minutes on a 2-core CPU.
"""
import json
import math
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from elicitation import ContextLengthError, Example, ICMConfig, Problem, SearchState, load_backend, run_icm
from elicitation.scoring import make_scorer

from tests.support import sst2

from .commands import run_elicitation

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parent.parent.parent
WORDS = (" True", " False")


@pytest.fixture(scope="module")
def backend(bundled_backend):
    return bundled_backend


def test_shared_prefix_scoring_matches_running_each_prompt_alone(backend):
    problem, gold = sst2.problem(6)
    scorer = make_scorer(problem, backend, ICMConfig())
    labels = [gold[e.id] for e in problem.examples]
    shared = scorer.evaluate(labels)
    prompts = [scorer.builder.prompt(scorer.demos(labels, exclude=i), i) for i in sorted(shared)]
    naive = backend.score_naive(prompts, WORDS)
    for i, alone in zip(sorted(shared), naive.results):
        assert shared[i].log_odds == pytest.approx(alone.log_odds, abs=1e-3)
        assert shared[i].found and shared[i].exact
    assert scorer.tokens < naive.tokens
    # " True" and "True" are different tokens of this tokenizer; both count.
    true_ids, false_ids = backend.label_token_ids(WORDS)
    assert len(true_ids) >= 2 and len(false_ids) >= 2 and not set(true_ids) & set(false_ids)


def test_a_seeded_run_on_sixteen_sentences_finishes_with_a_full_report(backend):
    problem, gold = sst2.problem(16)
    events, checkpoints = [], []
    result = run_icm(problem, ICMConfig(seed=0, iterations=8, calibrate="center", checkpoint_every=4), backend,
                     on_event=events.append, on_checkpoint=checkpoints.append)
    s = result.summary
    assert s["iterations"] == 8 and not result.stopped
    assert s["label_counts"]["true"] + s["label_counts"]["false"] >= 8
    assert s["tokens"] > 0 and s["seconds"] > 0 and s["calibrate"] == "center" and s["zero_scores"] == 0
    assert [e["iteration"] for e in events] == list(range(9))
    assert [c.iteration for c in checkpoints] == [4, 8]
    labeled = [k for k, v in result.labels.items() if v is not None]
    assert all(isinstance(result.scores[k], float) for k in labeled)
    json.dumps(result.state.to_dict())


def test_the_hf_backend_abandons_a_batch_between_its_model_calls_when_interrupted(backend):
    """A cancel waits one model call, not one scoring call: `interrupt` is asked before each prompt's forward
    pass after the first, and true abandons the batch (run_icm sets it to its should_stop)."""
    from elicitation.errors import ScoringInterrupted

    calls = []
    forward = backend._forward
    backend._forward = lambda tokens, cache: calls.append(1) or forward(tokens, cache)
    backend.interrupt = lambda: len(calls) >= 1
    try:
        with pytest.raises(ScoringInterrupted) as stopped:
            backend.score_batch(["Review: fine.\nI think this claim is", "Review: awful.\nI think this claim is",
                                 "Review: great.\nI think this claim is"], WORDS)
    finally:
        backend.interrupt = None
        del backend._forward
    assert len(calls) == 1
    # the one finished call's tokens travel with the interruption, so a canceled run still counts them
    first = min(backend._encode(f"Review: {w}.\nI think this claim is") for w in ("fine", "awful", "great"))
    assert stopped.value.tokens == len(first) > 0  # the batch walks its prompts in sorted token order
    assert len(backend.score_batch(["Review: fine.\nI think this claim is"], WORDS).results) == 1  # still usable


@pytest.fixture(scope="module")
def small_run(backend):
    """An uninterrupted seeded run on 8 sentences, the reference for determinism and resume."""
    problem, _ = sst2.problem(8)
    config = ICMConfig(seed=1, iterations=10, initial_labels=4, calibrate="center", checkpoint_every=3)
    return problem, config, run_icm(problem, config, backend)


def test_the_same_seed_gives_the_same_labels(backend, small_run):
    problem, config, first = small_run
    again = run_icm(problem, config, backend)
    assert again.labels == first.labels
    assert again.scores == first.scores
    assert again.summary["accepted"] == first.summary["accepted"]


def test_a_run_stopped_and_resumed_from_its_checkpoint_ends_identical(backend, small_run, tmp_path):
    problem, config, uninterrupted = small_run
    events = []
    checkpoint = tmp_path / "ck.json"
    stopped = run_icm(problem, config, backend, on_event=events.append,
                      should_stop=lambda: len(events) > 4,  # iteration 0 (setup) and four iterations
                      on_checkpoint=lambda st: checkpoint.write_text(json.dumps(st.to_dict())))
    assert stopped.stopped and stopped.state.iteration == 4
    state = SearchState.from_dict(json.loads(checkpoint.read_text()))
    assert state.iteration == 4
    resumed = run_icm(problem, config, backend, state=state)
    assert resumed.labels == uninterrupted.labels
    assert resumed.scores == uninterrupted.scores
    assert resumed.state.iteration == 10


def test_a_prompt_longer_than_the_context_window_is_refused_with_the_sizes(backend):
    problem = Problem([Example("long", "word " * 9000 + "I think this claim is "), Example("short", "ok is ")])
    with pytest.raises(ContextLengthError, match=r"has \d+ tokens .* context window is 8192 tokens"):
        run_icm(problem, ICMConfig(iterations=1), backend)


def cli(*args, timeout=900):
    return run_elicitation(*args, timeout=timeout)


def test_command_line_label_stop_resume_and_baselines(tmp_path):
    picked = sst2.balanced(6)
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": f"s{k}", "prompt": sst2.TEMPLATE.format(sentence=s), "gold": y,
                                       "note": "ignored"}) + "\n" for k, (s, y) in enumerate(picked)))
    out, ck = tmp_path / "out.jsonl", tmp_path / "ck.json"
    # Ctrl-C stops between iterations, leaving a checkpoint and no output.
    proc = subprocess.Popen([sys.executable, "-m", "elicitation", "label", str(src), "--out", str(out), "--model",
                             "smollm2", "--device", "cpu", "--seed", "2", "--iterations", "40", "--initial-labels",
                             "4", "--calibrate", "center", "--checkpoint", str(ck), "--checkpoint-every", "1"],
                            cwd=REPO, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 600
    while not ck.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    stderr = proc.communicate(timeout=600)[1]
    assert proc.returncode == 130, stderr
    done = json.loads(ck.read_text())["iteration"]
    assert f"stopped at iteration {done}; resume with --resume {ck}" in stderr
    assert 1 <= done < 40 and not out.exists()

    r = cli("label", src, "--out", out, "--model", "smollm2", "--device", "cpu", "--resume", ck, "--checkpoint", ck,
            "--iterations", done + 2)
    assert r.returncode == 0, r.stderr
    assert f"iterations {done + 2}/{done + 2}" in r.stderr and "model tokens processed" in r.stderr
    assert "[" in r.stderr  # the progress bar
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [row["id"] for row in rows] == [f"s{k}" for k in range(6)]
    for row in rows:
        assert set(row) == {"id", "label", "score", "kind"}
        assert (row["label"] is None) == (row["score"] is None) == (row["kind"] is None)
        assert row["kind"] in (None, "elicited")
    assert json.loads(ck.read_text())["iteration"] == done + 2

    test = tmp_path / "test.jsonl"
    test.write_text(json.dumps({"id": "t0", "prompt": sst2.TEMPLATE.format(sentence="a gorgeous , witty film .")})
                    + "\n")
    zs = tmp_path / "zs.jsonl"
    r = cli("baseline", "zero-shot", src, "--out", zs, "--model", "smollm2", "--device", "cpu")
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in zs.read_text().splitlines()]
    assert len(rows) == 6 and all(row["label"] == (row["score"] > 0) for row in rows)
    gl = tmp_path / "gold.jsonl"
    r = cli("baseline", "gold-labels", src, "--test", test, "--out", gl, "--model", "smollm2", "--device", "cpu")
    assert r.returncode == 0, r.stderr
    assert [json.loads(line)["id"] for line in gl.read_text().splitlines()] == ["t0"]


def test_fill_labels_what_a_short_run_left_by_the_models_prediction(backend):
    problem, _ = sst2.problem(6)
    result = run_icm(problem, ICMConfig(seed=0, iterations=1, initial_labels=2, calibrate="center", fill=True),
                     backend)
    elicited = {k: v for k, v in result.state.labels.items() if v is not None}
    assert result.filled == {e.id for e in problem.examples if str(e.id) not in elicited}
    assert len(result.filled) == result.summary["filled"] == result.summary["unlabeled"] >= 3
    assert all(v is not None for v in result.labels.values())
    # A filled score is the model's log-odds with the elicited labels as demonstrations, calibrated as the run.
    scorer = make_scorer(problem, backend, ICMConfig())
    labels = [elicited.get(str(e.id)) for e in problem.examples]
    for i, e in enumerate(problem.examples):
        if e.id in result.filled:
            alone = backend.score_naive([scorer.builder.prompt(scorer.demos(labels, exclude=i), i)], WORDS)
            expected = alone.results[0].log_odds - result.summary["calibration_offset"]
            assert result.scores[e.id] == pytest.approx(expected, abs=1e-3)
            assert result.labels[e.id] == (expected > 0) and result.kind(e.id) == "filled"


def tiny_model(folder: Path, source: str) -> Path:
    """A real (random, one-layer) model with the bundled model's tokenizer: another model's weights."""
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    config = AutoConfig.from_pretrained(source)
    config.update({"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1, "num_attention_heads": 2,
                   "num_key_value_heads": 1, "head_dim": 16})
    AutoModelForCausalLM.from_config(config).save_pretrained(folder)
    AutoTokenizer.from_pretrained(source).save_pretrained(folder)
    return folder


def test_checkpoints_record_the_bundled_model_and_refuse_another(backend, tmp_path):
    from elicitation import models
    from elicitation.fingerprint import folder_fingerprint

    folder = models.prepare("smollm2")
    assert backend.fingerprint == folder_fingerprint(folder)
    assert load_backend(str(folder), device="cpu").fingerprint == backend.fingerprint  # same weights, other name
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": f"s{k}", "prompt": sst2.TEMPLATE.format(sentence=s)}) + "\n"
                           for k, (s, _) in enumerate(sst2.balanced(4))))
    out, ck = tmp_path / "out.jsonl", tmp_path / "ck.json"
    r = cli("label", src, "--out", out, "--model", "smollm2", "--device", "cpu", "--iterations", "2",
            "--initial-labels", "2", "--calibrate", "center", "--checkpoint", ck, "--quiet")
    assert r.returncode == 0, r.stderr
    recorded = json.loads(ck.read_text())["model"]
    assert recorded == {"name": "smollm2", "fingerprint": backend.fingerprint}
    out.unlink()
    other = tiny_model(tmp_path / "tiny", str(folder))
    r = cli("label", src, "--out", out, "--model", other, "--device", "cpu", "--resume", ck, "--iterations", "4",
            "--quiet")
    assert r.returncode == 2
    assert (f"this checkpoint was made with model 'smollm2' (fingerprint {backend.fingerprint[:12]}…); resuming "
            f"with '{other}'") in r.stderr
    assert "would reuse 'smollm2''s cached scores" in r.stderr and not out.exists()


def test_prepare_model_prints_the_converted_folder():
    r = cli("prepare-model", "--model", "smollm2", timeout=600)
    assert r.returncode == 0, r.stderr
    folder = Path(r.stdout.strip().splitlines()[-1])
    assert (folder / "config.json").is_file() and (folder / "model.safetensors").is_file()
    assert (folder / "icm-converted.json").is_file()


class ModelServer(BaseHTTPRequestHandler):
    """A local completions server whose top-20 logprobs come from the bundled model (standing in for a vLLM
    server, which needs a GPU)."""

    backend = None

    def log_message(self, *args):
        pass

    def do_GET(self):
        self._send({"data": [{"id": "smollm2", "max_model_len": 8192}]})

    def do_POST(self):
        import torch

        data = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        b = type(self).backend
        choices, used = [], 0
        for i, prompt in enumerate(data["prompt"]):
            ids = b._encode(prompt)
            used += len(ids)
            with torch.inference_mode():
                logits, _ = b._forward(ids, None)
            logp = torch.log_softmax(logits.float(), -1)
            values, idx = torch.topk(logp, data["logprobs"])
            top = {}
            for v, t in zip(values.tolist(), idx.tolist()):
                text = b.tokenizer.decode([t])
                top[text] = math.log(math.exp(top[text]) + math.exp(v)) if text in top else v
            choices.append({"index": i, "text": "", "logprobs": {"top_logprobs": [top]}})
        self._send({"choices": choices, "usage": {"prompt_tokens": used}})

    def _send(self, payload):
        body = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_openai_compatible_backend_matches_the_model_it_talks_to(backend):
    ModelServer.backend = backend
    server = ThreadingHTTPServer(("127.0.0.1", 0), ModelServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        remote = load_backend("smollm2", kind="openai", base_url=f"http://127.0.0.1:{server.server_address[1]}/v1")
        assert remote.context_length == 8192
        problem, _ = sst2.problem(4)
        prompts = [sst2.TEMPLATE.format(sentence=s).rstrip() for s, _ in sst2.balanced(4)]
        here = backend.score_batch(prompts, WORDS).results
        there = remote.score_batch(prompts, WORDS).results
        for a, b in zip(here, there):
            assert b.found and not b.exact
            assert b.log_odds == pytest.approx(a.log_odds, abs=0.05)
    finally:
        server.shutdown()
        server.server_close()
