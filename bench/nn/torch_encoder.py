#!/usr/bin/env python3
"""The speed reference of the neural core: the bench encoder in plain PyTorch.

Encoder: token + position embeddings, pre-LN blocks (LN -> attention -> residual,
LN -> GELU FFN -> residual), a final LN, mean pooling over the mask, L2 normalisation.
Training: in-batch softmax (InfoNCE) over `pairs` query/passage pairs, Adam.

Prints one JSON line per thread count:
  {"threads": 1, "train_pairs_per_s": ..., "encode_seq_per_s": ..., "train_pairs_per_cpu_s": ..., ...}

Run with Debian's interpreter (python3-torch): /usr/bin/python3 bench/nn/torch_encoder.py --threads 1,2
"""
import argparse
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, d, heads, ffn):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(d, eps=1e-12)
        self.qkv = nn.Linear(d, 3 * d)
        self.out = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d, eps=1e-12)
        self.up = nn.Linear(d, ffn)
        self.down = nn.Linear(ffn, d)

    def forward(self, x, bias):
        # x: [b, t, d]; bias: [b, 1, 1, t] additive mask
        b, t, d = x.shape
        h = self.heads
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)  # [b, t, d] each
        q = q.view(b, t, h, d // h).transpose(1, 2)  # [b, h, t, dh]
        k = k.view(b, t, h, d // h).transpose(1, 2)
        v = v.view(b, t, h, d // h).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(d // h) + bias  # [b, h, t, t]
        y = att.softmax(-1) @ v  # [b, h, t, dh]
        y = y.transpose(1, 2).reshape(b, t, d)
        x = x + self.out(y)
        return x + self.down(F.gelu(self.up(self.ln2(x))))


class Encoder(nn.Module):
    def __init__(self, vocab, d, heads, ffn, layers, max_len):
        super().__init__()
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Embedding(max_len, d)
        self.blocks = nn.ModuleList([Block(d, heads, ffn) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(d, eps=1e-12)

    def forward(self, ids, mask):
        # ids, mask: [b, t] -> unit vectors [b, d]
        t = ids.shape[1]
        x = self.tok(ids) + self.pos.weight[:t]
        bias = (1.0 - mask[:, None, None, :].float()) * -1e4
        for blk in self.blocks:
            x = blk(x, bias)
        x = self.ln_f(x)
        m = mask[:, :, None].float()
        pooled = (x * m).sum(1) / m.sum(1)
        return F.normalize(pooled, dim=-1)


def infonce(q, p, tau):
    logits = q @ p.t() / tau  # [n, n]
    return F.cross_entropy(logits, torch.arange(q.shape[0]))


def batch(gen, n, seq, vocab):
    ids = torch.randint(1, vocab, (n, seq), generator=gen)
    lengths = torch.randint(seq // 2, seq + 1, (n,), generator=gen)
    mask = (torch.arange(seq)[None, :] < lengths[:, None]).long()
    return ids * mask, mask


def measure(args, threads):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    model = Encoder(args.vocab, args.d, args.heads, args.ffn, args.layers, args.seq)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    data = [(batch(gen, args.pairs, args.seq, args.vocab), batch(gen, args.pairs, args.seq, args.vocab))
            for _ in range(4)]

    def step(i):
        (qi, qm), (pi, pm) = data[i % len(data)]
        loss = infonce(model(qi, qm), model(pi, pm), args.tau)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.item()

    for i in range(args.warmup):
        loss0 = step(i)
    t0, c0 = time.perf_counter(), time.process_time()
    for i in range(args.steps):
        last = step(i)
    train_s, train_cpu = time.perf_counter() - t0, time.process_time() - c0

    model.eval()
    (qi, qm), _ = data[0]
    enc_ids = torch.cat([qi, data[1][0][0]])  # 2 * pairs sequences, as one training step encodes
    enc_mask = torch.cat([qm, data[1][0][1]])
    with torch.no_grad():
        for _ in range(args.warmup):
            model(enc_ids, enc_mask)
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(args.steps):
            model(enc_ids, enc_mask)
        enc_s, enc_cpu = time.perf_counter() - t0, time.process_time() - c0
    return {
        "threads": threads,
        "train_pairs_per_s": args.steps * args.pairs / train_s,
        "encode_seq_per_s": args.steps * enc_ids.shape[0] / enc_s,
        "train_ms_per_step": 1000 * train_s / args.steps,
        # Per CPU-second of this process: less sensitive to other load on a shared machine
        # (with 2 threads it adds both threads' time, so use the wall figures there).
        "train_pairs_per_cpu_s": args.steps * args.pairs / train_cpu,
        "encode_seq_per_cpu_s": args.steps * enc_ids.shape[0] / enc_cpu,
        "loss0": loss0,
        "loss_last": last,
        "torch": torch.__version__,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--vocab", type=int, default=8192)
    ap.add_argument("--d", type=int, default=128)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--ffn", type=int, default=512)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--seq", type=int, default=64)
    ap.add_argument("--pairs", type=int, default=32)
    ap.add_argument("--tau", type=float, default=0.05)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    args = ap.parse_args()
    for threads in [int(t) for t in args.threads.split(",")]:
        print(json.dumps(measure(args, threads)), flush=True)


if __name__ == "__main__":
    main()
