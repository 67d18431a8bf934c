"""The reward model's training step in plain PyTorch, for bench/reward-model.ts.

Reads the batches the TypeScript run trained on (token ids, masks, segments: [steps, B*G, T] each,
padded per step to that step's longest pair) and trains the same cross-encoder on them: BERT
embeddings, post-LN encoder layers, tanh pooler over [CLS], a linear head; group cross-entropy
with the positive at index 0; AdamW with warmup and linear decay; gradient clipping. Prints one
JSON line with the groups per second.

    python3 bench/reward_model_torch.py BATCHES.json THREADS
"""
import json
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Layer(nn.Module):
    def __init__(self, d, heads, inner, p):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(d, 3 * d)
        self.out = nn.Linear(d, d)
        self.norm1 = nn.LayerNorm(d, eps=1e-12)
        self.up = nn.Linear(d, inner)
        self.down = nn.Linear(inner, d)
        self.norm2 = nn.LayerNorm(d, eps=1e-12)
        self.drop = nn.Dropout(p)

    def forward(self, x, bias):
        b, t, d = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)  # [b, h, t, dh] each
        att = (q @ k.transpose(-1, -2)) / math.sqrt(d // self.heads) + bias                       # [b, h, t, t]
        h = (self.drop(att.softmax(-1)) @ v).transpose(1, 2).reshape(b, t, d)
        x = self.norm1(x + self.drop(self.out(h)))
        return self.norm2(x + self.drop(self.down(F.gelu(self.up(x)))))


class CrossEncoder(nn.Module):
    def __init__(self, vocab, d, layers, heads, inner, positions, p):
        super().__init__()
        self.word = nn.Embedding(vocab, d)
        self.pos = nn.Embedding(positions, d)
        self.segment = nn.Embedding(2, d)
        self.norm = nn.LayerNorm(d, eps=1e-12)
        self.drop = nn.Dropout(p)
        self.layers = nn.ModuleList(Layer(d, heads, inner, p) for _ in range(layers))
        self.pooler = nn.Linear(d, d)
        self.head = nn.Linear(d, 1)

    def forward(self, ids, mask, types):
        t = ids.shape[1]
        x = self.drop(self.norm(self.word(ids) + self.pos(torch.arange(t))[None] + self.segment(types)))  # [n, t, d]
        bias = (1.0 - mask[:, None, None, :].float()) * -1e9                                         # [n, 1, 1, t]
        for layer in self.layers:
            x = layer(x, bias)
        pooled = torch.tanh(self.pooler(x[:, 0]))                                                     # [n, d]
        return self.head(self.drop(pooled)).squeeze(-1)                                               # [n]


def main():
    spec = json.load(open(sys.argv[1]))
    torch.set_num_threads(int(sys.argv[2]))
    torch.manual_seed(0)
    c = spec["config"]
    model = CrossEncoder(c["vocab"], c["hidden"], c["layers"], c["heads"], c["inner"], c["positions"], c["dropout"])
    decay = [p for n, p in model.named_parameters() if p.dim() > 1 and "norm" not in n]
    rest = [p for n, p in model.named_parameters() if not (p.dim() > 1 and "norm" not in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": c["weightDecay"]}, {"params": rest, "weight_decay": 0.0}], lr=c["lr"])
    steps, warmup, g = len(spec["batches"]), c["warmup"], c["groupSize"]
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: s / warmup if s < warmup else max(0.0, (steps - s) / max(1, steps - warmup)))
    batches = [tuple(torch.tensor(x) for x in (b["ids"], b["mask"], b["types"])) for b in spec["batches"]]
    model.train()
    losses = []
    began = None
    for step, (ids, mask, types) in enumerate(batches):
        if step == c["untimed"]:
            began = time.perf_counter()
        logits = model(ids, mask, types).view(-1, g)  # [B, G]
        loss = F.cross_entropy(logits, torch.zeros(logits.shape[0], dtype=torch.long))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), c["clipNorm"])
        opt.step()
        sched.step()
        losses.append(loss.item())
    seconds = time.perf_counter() - began
    timed = steps - c["untimed"]
    print(json.dumps({"threads": int(sys.argv[2]), "seconds": seconds, "groupsPerSecond": timed * c["batchSize"] / seconds,
                      "firstLoss": losses[0], "lastLoss": sum(losses[-10:]) / len(losses[-10:]), "torch": torch.__version__}))


if __name__ == "__main__":
    main()
