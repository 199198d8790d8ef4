"""A tiny random Llama-shaped causal LM with a word-level tokenizer, built in a temporary folder (no download):
the finetune trainer and the feature rule run on it in seconds. Its vocabulary holds "True" and "False", so the
engine's label words (" True", " False") are single tokens of it."""
from __future__ import annotations

from pathlib import Path

WORDS = ("Sentence: Claim: The sentiment of this sentence is positive. I think this claim is True False "
         "good great fine bad awful poor movie film plot acting a the was very not").split()


def build(folder: Path, *, hidden: int = 32, layers: int = 2, seed: int = 0) -> Path:
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, decoders
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2}
    for w in WORDS:
        vocab.setdefault(w, len(vocab))
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.decoder = decoders.WordPiece(prefix="##")  # joins tokens with spaces
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", bos_token="<s>", eos_token="</s>",
                                   pad_token="</s>")
    torch.manual_seed(seed)
    config = LlamaConfig(vocab_size=len(vocab), hidden_size=hidden, intermediate_size=2 * hidden,
                         num_hidden_layers=layers, num_attention_heads=4, num_key_value_heads=2,
                         max_position_embeddings=256, bos_token_id=1, eos_token_id=2, pad_token_id=2,
                         tie_word_embeddings=False)
    model = LlamaForCausalLM(config)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    fast.save_pretrained(folder)
    return folder


def prompt(sentence: str) -> str:
    return f"Sentence: {sentence}\nClaim: The sentiment of this sentence is positive.\nI think this claim is "
