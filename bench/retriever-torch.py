# The LLM-R bi-encoder of src/lib/llmr/bi-encoder.ts in plain PyTorch, for bench/retriever.ts:
# the same BERT layout (post-LN blocks, GELU), mean pooling, L2 norm, KL over groups + alpha * the
# full in-batch InfoNCE, AdamW. Reads a JSON job (sizes, per-step sequence lengths) and prints
# JSON timings (wall and process CPU seconds).
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

job = json.load(open(sys.argv[1]))
torch.manual_seed(0)
torch.set_num_threads(job["threads"])
V, H, L, NH, I, P = job["vocab"], job["hidden"], job["layers"], job["heads"], job["intermediate"], job["maxLength"]
B, G, TAU, ALPHA = job["batchSize"], job["groupSize"], job["temperature"], job["alpha"]


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.attn = nn.MultiheadAttention(H, NH, dropout=0.1, batch_first=True)
        self.ln1 = nn.LayerNorm(H, eps=1e-12)
        self.up, self.down = nn.Linear(H, I), nn.Linear(I, H)
        self.ln2 = nn.LayerNorm(H, eps=1e-12)
        self.drop = nn.Dropout(0.1)

    def forward(self, x, pad):  # x [b, t, H], pad [b, t] True at padding
        a, _ = self.attn(x, x, x, key_padding_mask=pad, need_weights=False)
        x = self.ln1(x + self.drop(a))
        return self.ln2(x + self.drop(self.down(F.gelu(self.up(x)))))


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.word, self.pos, self.segment = nn.Embedding(V, H), nn.Embedding(P, H), nn.Embedding(2, H)
        self.ln = nn.LayerNorm(H, eps=1e-12)
        self.drop = nn.Dropout(0.1)
        self.blocks = nn.ModuleList(Block() for _ in range(L))
        self.pos.weight.requires_grad_(False)  # frozen, as LLM-R does

    def embed(self, ids, mask):  # ids, mask [b, t] -> [b, H] unit rows
        t = ids.shape[1]
        x = self.word(ids) + self.pos(torch.arange(t)) + self.segment(torch.zeros_like(ids))
        x = self.drop(self.ln(x))
        for blk in self.blocks:
            x = blk(x, mask == 0)
        m = mask.unsqueeze(-1).float()
        return F.normalize((x * m).sum(1) / m.sum(1).clamp(min=1e-9), dim=-1)


def batch(lengths):
    t = max(lengths)
    ids = torch.randint(5, V, (len(lengths), t))
    mask = torch.zeros(len(lengths), t, dtype=torch.long)
    for i, n in enumerate(lengths):
        mask[i, :n] = 1
    return ids * mask, mask


def loss_fn(q, k, teacher):  # q [B, D], k [B*G, D], teacher [B, G]
    d = q.shape[1]
    s = (q.unsqueeze(1) * k.view(B, G, d)).sum(-1) / TAU
    kl = F.kl_div(F.log_softmax(s, -1), F.log_softmax(teacher, -1), reduction="batchmean", log_target=True)
    pos = k.view(B, G, d)[:, 0]
    eye = torch.eye(B, dtype=torch.bool)
    neg = float("-inf")
    blocks = [q @ k.T, (pos @ q.T).masked_fill(eye, neg), (q @ q.T).masked_fill(eye, neg), (pos @ pos.T).masked_fill(eye, neg)]
    cont = F.cross_entropy(torch.cat(blocks, 1) / TAU, torch.arange(B) * G)
    return kl + ALPHA * cont


def clock():
    return time.perf_counter(), time.process_time()


model = Encoder()
opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=5e-4, weight_decay=0.01)
steps = job["steps"]
out = {}
for phase in ("warm", "timed"):
    if phase == "timed":
        w0, c0 = clock()
    for step in steps[:1] if phase == "warm" else steps:
        model.train()
        q = model.embed(*batch(step["queries"]))
        k = model.embed(*batch(step["candidates"]))
        loss = loss_fn(q, k, torch.randn(B, G))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
w1, c1 = clock()
out["train"] = {"wall": w1 - w0, "cpu": c1 - c0, "examples": B * len(steps)}

model.eval()
lengths = job["encode"]
with torch.no_grad():
    model.embed(*batch(lengths[:64]))
    w0, c0 = clock()
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    for s in range(0, len(order), 64):
        model.embed(*batch([lengths[i] for i in order[s:s + 64]]))
    w1, c1 = clock()
out["encode"] = {"wall": w1 - w0, "cpu": c1 - c0, "sequences": len(lengths)}
print(json.dumps(out))
