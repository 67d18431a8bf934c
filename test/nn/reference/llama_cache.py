#!/usr/bin/env python3
"""A Llama forward pass with a key/value cache in plain PyTorch, after LlamaForCausalLM with
past_key_values (transformers is not needed), and a reader for the safetensors files that
savePretrained writes. Used by test/nn/models-cache-torch.test.ts (one cached step against ours)
and bench/generate_torch.py (greedy generation speed).

As a script: python3 llama_cache.py MODEL_DIR INPUT.json prints the logits of the last prompt
token and of one cached step, for left-padded prompts and one next token per row.
"""
import json
import math
import os
import struct
import sys

import torch
import torch.nn.functional as F

DTYPES = {"F32": torch.float32, "I32": torch.int32, "I64": torch.int64}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        start, end = meta["data_offsets"]
        t = torch.frombuffer(bytearray(body[start:end]), dtype=DTYPES[meta["dtype"]])
        out[name] = t.reshape(meta["shape"])
    return out


def rms_norm(x, w, eps):
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class Llama:
    def __init__(self, sd, c):
        self.sd, self.c = sd, c
        self.h, self.kvh = c["num_attention_heads"], c["num_key_value_heads"]
        self.hd = c.get("head_dim", c["hidden_size"] // self.h)
        self.eps = c["rms_norm_eps"]
        self.inv_freq = 1.0 / (c["rope_theta"] ** (torch.arange(0, self.hd, 2).float() / self.hd))
        self.head = sd.get("lm_head.weight", sd["model.embed_tokens.weight"])

    def forward(self, ids, positions, mask, past):
        """ids, positions [b, t]; mask [b, tPast + t]; past: list of (k, v) [b, kvh, tPast, hd] or None."""
        sd, b, t = self.sd, ids.shape[0], ids.shape[1]
        h, kvh, hd = self.h, self.kvh, self.hd
        freqs = positions[:, :, None].float() * self.inv_freq[None, None, :]
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos()[:, None], emb.sin()[:, None]  # [b, 1, t, hd]
        t_past = 0 if past is None else past[0][0].shape[2]
        causal = torch.ones(t, t_past + t, dtype=torch.bool).tril(t_past)
        allowed = causal[None, None] & mask[:, None, None, :].bool()
        bias = torch.where(allowed, torch.zeros(()), torch.full((), torch.finfo(torch.float32).min))
        x = sd["model.embed_tokens.weight"][ids]
        present = []
        for i in range(self.c["num_hidden_layers"]):
            L = f"model.layers.{i}."
            y = rms_norm(x, sd[L + "input_layernorm.weight"], self.eps)
            q = F.linear(y, sd[L + "self_attn.q_proj.weight"]).view(b, t, h, hd).transpose(1, 2)
            k = F.linear(y, sd[L + "self_attn.k_proj.weight"]).view(b, t, kvh, hd).transpose(1, 2)
            v = F.linear(y, sd[L + "self_attn.v_proj.weight"]).view(b, t, kvh, hd).transpose(1, 2)
            q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
            if past is not None:
                k = torch.cat([past[i][0], k], dim=2)
                v = torch.cat([past[i][1], v], dim=2)
            present.append((k, v))
            rep = h // kvh
            kk = k.repeat_interleave(rep, dim=1) if rep > 1 else k
            vv = v.repeat_interleave(rep, dim=1) if rep > 1 else v
            scores = q @ kk.transpose(-1, -2) / math.sqrt(hd) + bias
            ctx = (scores.softmax(-1) @ vv).transpose(1, 2).reshape(b, t, h * hd)
            x = x + F.linear(ctx, sd[L + "self_attn.o_proj.weight"])
            y = rms_norm(x, sd[L + "post_attention_layernorm.weight"], self.eps)
            gate = F.silu(F.linear(y, sd[L + "mlp.gate_proj.weight"]))
            x = x + F.linear(gate * F.linear(y, sd[L + "mlp.up_proj.weight"]), sd[L + "mlp.down_proj.weight"])
        x = rms_norm(x[:, -1:], sd["model.norm.weight"], self.eps)
        return x[:, 0] @ self.head.t(), present


def left_padded(prompts, pad):
    """ids, mask, positions [b, t]: each row's real tokens at the right, positions from 0."""
    b, t = len(prompts), max(len(p) for p in prompts)
    ids = torch.full((b, t), pad, dtype=torch.long)
    mask = torch.zeros(b, t, dtype=torch.long)
    positions = torch.zeros(b, t, dtype=torch.long)
    for i, p in enumerate(prompts):
        ids[i, t - len(p):] = torch.tensor(p)
        mask[i, t - len(p):] = 1
        positions[i, t - len(p):] = torch.arange(len(p))
    return ids, mask, positions


def load(model_dir):
    with open(os.path.join(model_dir, "config.json")) as f:
        c = json.load(f)
    return Llama(read_safetensors(os.path.join(model_dir, "model.safetensors")), c)


def main():
    torch.set_num_threads(1)
    model = load(sys.argv[1])
    with open(sys.argv[2]) as f:
        spec = json.load(f)
    ids, mask, positions = left_padded(spec["prompts"], spec["pad"])
    with torch.no_grad():
        prefill, past = model.forward(ids, positions, mask, None)
        mask = torch.cat([mask, torch.ones(len(spec["prompts"]), 1, dtype=torch.long)], dim=1)
        nxt = torch.tensor([[len(p)] for p in spec["prompts"]])
        step, _ = model.forward(torch.tensor(spec["next"])[:, None], nxt, mask, past)
    print(json.dumps({"prefill": prefill.tolist(), "step": step.tolist()}))


if __name__ == "__main__":
    main()
