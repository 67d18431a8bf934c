#!/usr/bin/env python3
"""Greedy generation with past_key_values in plain PyTorch, the peer of bench/generate.ts.

Reads a Llama checkpoint written by savePretrained (config.json, model.safetensors) and a JSON
file of prompts (token ids), left-pads them into one batch, reads them once, then generates one
token per step for every row with a key/value cache (as LlamaForCausalLM.generate does with
use_cache=True), on one thread. The model is test/nn/reference/llama_cache.py. Prints JSON: the
generated ids and the seconds taken (best of `repeats`).

Usage: python3 generate_torch.py MODEL_DIR PROMPTS.json MAX_NEW REPEATS
"""
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "nn", "reference"))
from llama_cache import left_padded, load  # noqa: E402


def greedy(model, prompts, max_new, pad):
    ids, mask, positions = left_padded(prompts, pad)
    b = len(prompts)
    logits, past = model.forward(ids, positions, mask, None)
    nxt = torch.tensor([len(p) for p in prompts])
    out = []
    for step in range(max_new):
        token = logits.argmax(-1)
        out.append(token)
        if step == max_new - 1:
            break
        mask = torch.cat([mask, torch.ones(b, 1, dtype=torch.long)], dim=1)
        logits, past = model.forward(token[:, None], nxt[:, None], mask, past)
        nxt = nxt + 1
    return torch.stack(out, 1).tolist()


def main():
    model_dir, prompts_file, max_new, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    torch.set_num_threads(1)
    with open(prompts_file) as f:
        spec = json.load(f)
    model = load(model_dir)
    best, tokens = float("inf"), None
    with torch.no_grad():
        greedy(model, spec["prompts"], max_new, spec["pad"])  # warm-up, as on our side
        for _ in range(repeats):
            start = time.perf_counter()
            tokens = greedy(model, spec["prompts"], max_new, spec["pad"])
            best = min(best, time.perf_counter() - start)
    print(json.dumps({"torch": torch.__version__, "seconds": best, "tokens": tokens}))


if __name__ == "__main__":
    main()
