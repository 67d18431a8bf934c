# The released LLaRA code's bag-of-tokens loss and attention mask, written in PyTorch as
# FlagEmbedding research/LLARA (pretrain/modeling.py) computes them, for the TypeScript tests.
# Reads a JSON case on stdin, prints a JSON result.
import json
import sys

import torch

case = json.load(sys.stdin)
logits = torch.tensor(case["logits"], dtype=torch.float64)  # [b, 8, V]
out = {}

def bot(logits, targets):
    pooled, _ = torch.max(logits, dim=1)               # [b, V]
    logp = torch.log_softmax(pooled, dim=-1)
    losses = []
    for b, ids in enumerate(targets):
        u = sorted(set(i for i in ids if i > 2))
        if not u:
            continue
        losses.append(-logp[b, torch.tensor(u)].mean())
    if not losses:
        return 0.0
    return (torch.stack(losses).mean() / 10).item()

out["ebae"] = bot(logits, case["ebae"])
out["ebar"] = bot(torch.tensor(case["logits_ebar"], dtype=torch.float64), case["ebar"])

# The mask: causal, then rows of the last r tokens x columns of the e tokens before them blocked;
# position ids: the EBAR suffix gets those of the first r EBAE tokens.
t, e, r, text = case["t"], case["e"], case["r"], case["text"]
mask = torch.full((t, t), float("-inf")).triu(1)
mask[-r:, -(e + r):-r] = float("-inf")
out["mask_blocked"] = torch.isinf(mask).int().tolist()
pos = list(range(text + e))
pos += pos[text:text + r]
out["positions"] = pos
print(json.dumps(out))
