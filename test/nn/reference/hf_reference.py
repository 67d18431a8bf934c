#!/usr/bin/env python3
"""Tiny random checkpoints of each architecture, with PyTorch reference outputs and gradients.

For every case this writes, under OUT/<case>/:
  config.json          Hugging Face config of the architecture
  model.safetensors    the weights, in Hugging Face state-dict names and layouts
  expected.safetensors inputs ("input.*"), outputs ("out.*"), the loss ("loss") and the gradient of
                       the loss for every weight ("grad.<name>")

The forward passes are plain PyTorch written after the Hugging Face modelling code (BertModel,
ElectraForSequenceClassification, GPT2LMHeadModel, LlamaForCausalLM): `transformers` is not
needed. Dropout is 0 everywhere, so the outputs are deterministic.

Usage: python3 hf_reference.py OUT
"""
import json
import math
import os
import struct
import sys

import torch
import torch.nn.functional as F

NEG = torch.finfo(torch.float32).min


# ---------------------------------------------------------------- safetensors, written by hand

def write_safetensors(path, tensors):
    """8-byte little-endian header length, JSON header, raw little-endian data."""
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous()
        if t.dtype == torch.float32:
            dtype = "F32"
        elif t.dtype in (torch.int32, torch.int64):
            t, dtype = t.to(torch.int32), "I32"
        else:
            raise ValueError(f"{name}: unsupported dtype {t.dtype}")
        data = t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)


# ---------------------------------------------------------------- shared pieces

def linear(x, sd, name, bias=True):
    """nn.Linear: weight [out, in]."""
    return F.linear(x, sd[name + ".weight"], sd[name + ".bias"] if bias else None)


def conv1d(x, sd, name):
    """GPT-2's Conv1D: weight [in, out]."""
    return x @ sd[name + ".weight"] + sd[name + ".bias"]


def layer_norm(x, sd, name, eps):
    return F.layer_norm(x, (x.shape[-1],), sd[name + ".weight"], sd[name + ".bias"], eps)


def rms_norm(x, sd, name, eps):
    variance = x.pow(2).mean(-1, keepdim=True)
    return sd[name + ".weight"] * (x * torch.rsqrt(variance + eps))


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def heads(x, n):
    """[b, t, n*hd] -> [b, n, t, hd]"""
    b, t, _ = x.shape
    return x.view(b, t, n, -1).transpose(1, 2)


def attend(q, k, v, mask):
    """q, k, v [b, h, t, hd]; mask additive [b, 1|h, t, t] -> [b, t, h*hd]"""
    scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1]) + mask
    ctx = scores.softmax(-1) @ v
    b, h, t, hd = ctx.shape
    return ctx.transpose(1, 2).reshape(b, t, h * hd)


def additive(allowed):
    """bool [b, 1, t, t] -> 0 where allowed, the float32 minimum elsewhere (as HF builds it)."""
    return torch.where(allowed, torch.zeros(()), torch.full((), NEG))


# ---------------------------------------------------------------- BERT / ELECTRA

def bert_forward(sd, c, ids, mask, types, prefix):
    p = {k[len(prefix):]: v for k, v in sd.items() if k.startswith(prefix)}
    b, t = ids.shape
    pos = torch.arange(t)[None].expand(b, t)
    x = p["embeddings.word_embeddings.weight"][ids] + p["embeddings.position_embeddings.weight"][pos] \
        + p["embeddings.token_type_embeddings.weight"][types]
    x = layer_norm(x, p, "embeddings.LayerNorm", c["layer_norm_eps"])
    if "embeddings_project.weight" in p:
        x = linear(x, p, "embeddings_project")
    ext = additive(mask[:, None, None, :].bool())
    pre = c.get("pre_layer_norm", False)
    eps, h = c["layer_norm_eps"], c["num_attention_heads"]
    for i in range(c["num_hidden_layers"]):
        L = f"encoder.layer.{i}."

        def attention(y):
            q = heads(linear(y, p, L + "attention.self.query"), h)
            k = heads(linear(y, p, L + "attention.self.key"), h)
            v = heads(linear(y, p, L + "attention.self.value"), h)
            return linear(attend(q, k, v, ext), p, L + "attention.output.dense")

        def ffn(y):
            return linear(F.gelu(linear(y, p, L + "intermediate.dense")), p, L + "output.dense")

        if pre:
            x = x + attention(layer_norm(x, p, L + "attention.output.LayerNorm", eps))
            x = x + ffn(layer_norm(x, p, L + "output.LayerNorm", eps))
        else:
            x = layer_norm(attention(x) + x, p, L + "attention.output.LayerNorm", eps)
            x = layer_norm(ffn(x) + x, p, L + "output.LayerNorm", eps)
    if pre:
        x = layer_norm(x, p, "encoder.LayerNorm", eps)
    out = {"hidden": x}
    if "pooler.dense.weight" in p:
        out["pooled"] = torch.tanh(linear(x[:, 0], p, "pooler.dense"))
    return out


def electra_classifier(sd, hidden):
    """ElectraClassificationHead: dense -> gelu -> out_proj on the first token."""
    x = F.gelu(linear(hidden[:, 0], sd, "classifier.dense"))
    return linear(x, sd, "classifier.out_proj")


# ---------------------------------------------------------------- GPT-2

def gpt2_forward(sd, c, ids, mask):
    b, t = ids.shape
    d, h, eps = c["n_embd"], c["n_head"], c["layer_norm_epsilon"]
    pos = torch.arange(t)[None].expand(b, t)
    x = sd["transformer.wte.weight"][ids] + sd["transformer.wpe.weight"][pos]
    allowed = torch.tril(torch.ones(t, t, dtype=torch.bool))[None, None] & mask[:, None, None, :].bool()
    ext = additive(allowed)
    for i in range(c["n_layer"]):
        L = f"transformer.h.{i}."
        y = layer_norm(x, sd, L + "ln_1", eps)
        q, k, v = conv1d(y, sd, L + "attn.c_attn").split(d, dim=2)
        x = x + conv1d(attend(heads(q, h), heads(k, h), heads(v, h), ext), sd, L + "attn.c_proj")
        y = layer_norm(x, sd, L + "ln_2", eps)
        x = x + conv1d(gelu_new(conv1d(y, sd, L + "mlp.c_fc")), sd, L + "mlp.c_proj")
    x = layer_norm(x, sd, "transformer.ln_f", eps)
    head = sd["lm_head.weight"] if "lm_head.weight" in sd else sd["transformer.wte.weight"]
    return {"hidden": x, "logits": x @ head.t()}


# ---------------------------------------------------------------- Llama

def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def llama_forward(sd, c, ids, mask4d, position_ids):
    b, t = ids.shape
    h, kvh = c["num_attention_heads"], c["num_key_value_heads"]
    hd, eps = c["head_dim"], c["rms_norm_eps"]
    inv_freq = 1.0 / (c["rope_theta"] ** (torch.arange(0, hd, 2).float() / hd))
    freqs = position_ids[:, :, None].float() * inv_freq[None, None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos()[:, None], emb.sin()[:, None]  # [b, 1, t, hd]
    x = sd["model.embed_tokens.weight"][ids]
    for i in range(c["num_hidden_layers"]):
        L = f"model.layers.{i}."
        y = rms_norm(x, sd, L + "input_layernorm", eps)
        q = heads(linear(y, sd, L + "self_attn.q_proj", False), h)
        k = heads(linear(y, sd, L + "self_attn.k_proj", False), kvh)
        v = heads(linear(y, sd, L + "self_attn.v_proj", False), kvh)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        rep = h // kvh  # repeat_kv
        k = k[:, :, None].expand(b, kvh, rep, t, hd).reshape(b, h, t, hd)
        v = v[:, :, None].expand(b, kvh, rep, t, hd).reshape(b, h, t, hd)
        x = x + linear(attend(q, k, v, mask4d), sd, L + "self_attn.o_proj", False)
        y = rms_norm(x, sd, L + "post_attention_layernorm", eps)
        gate = F.silu(linear(y, sd, L + "mlp.gate_proj", False))
        x = x + linear(gate * linear(y, sd, L + "mlp.up_proj", False), sd, L + "mlp.down_proj", False)
    x = rms_norm(x, sd, "model.norm", eps)
    head = sd["lm_head.weight"] if "lm_head.weight" in sd else sd["model.embed_tokens.weight"]
    return {"hidden": x, "logits": x @ head.t()}


# ---------------------------------------------------------------- random weights

def random_weights(shapes, gen):
    """Norm weights near 1, everything else N(0, 0.2^2) (biases included, so they matter)."""
    sd = {}
    for name, shape in shapes.items():
        w = torch.randn(*shape, generator=gen) * 0.2
        if "LayerNorm.weight" in name or "ln_" in name and name.endswith(".weight") or "norm.weight" in name:
            w = 1.0 + 0.1 * torch.randn(*shape, generator=gen)
        sd[name] = w.requires_grad_(True)
    return sd


def bert_shapes(c, prefix, pooler):
    d, e, f = c["hidden_size"], c.get("embedding_size", c["hidden_size"]), c["intermediate_size"]
    s = {
        "embeddings.word_embeddings.weight": [c["vocab_size"], e],
        "embeddings.position_embeddings.weight": [c["max_position_embeddings"], e],
        "embeddings.token_type_embeddings.weight": [c["type_vocab_size"], e],
        "embeddings.LayerNorm.weight": [e], "embeddings.LayerNorm.bias": [e],
    }
    if e != d:
        s["embeddings_project.weight"], s["embeddings_project.bias"] = [d, e], [d]
    for i in range(c["num_hidden_layers"]):
        L = f"encoder.layer.{i}."
        for n in ("query", "key", "value"):
            s[L + f"attention.self.{n}.weight"], s[L + f"attention.self.{n}.bias"] = [d, d], [d]
        s[L + "attention.output.dense.weight"], s[L + "attention.output.dense.bias"] = [d, d], [d]
        s[L + "attention.output.LayerNorm.weight"], s[L + "attention.output.LayerNorm.bias"] = [d], [d]
        s[L + "intermediate.dense.weight"], s[L + "intermediate.dense.bias"] = [f, d], [f]
        s[L + "output.dense.weight"], s[L + "output.dense.bias"] = [d, f], [d]
        s[L + "output.LayerNorm.weight"], s[L + "output.LayerNorm.bias"] = [d], [d]
    if c.get("pre_layer_norm"):
        s["encoder.LayerNorm.weight"], s["encoder.LayerNorm.bias"] = [d], [d]
    if pooler:
        s["pooler.dense.weight"], s["pooler.dense.bias"] = [d, d], [d]
    return {prefix + k: v for k, v in s.items()}


def gpt2_shapes(c, tied):
    d, f, V = c["n_embd"], c["n_inner"], c["vocab_size"]
    s = {"transformer.wte.weight": [V, d], "transformer.wpe.weight": [c["n_positions"], d]}
    for i in range(c["n_layer"]):
        L = f"transformer.h.{i}."
        s[L + "ln_1.weight"], s[L + "ln_1.bias"] = [d], [d]
        s[L + "attn.c_attn.weight"], s[L + "attn.c_attn.bias"] = [d, 3 * d], [3 * d]
        s[L + "attn.c_proj.weight"], s[L + "attn.c_proj.bias"] = [d, d], [d]
        s[L + "ln_2.weight"], s[L + "ln_2.bias"] = [d], [d]
        s[L + "mlp.c_fc.weight"], s[L + "mlp.c_fc.bias"] = [d, f], [f]
        s[L + "mlp.c_proj.weight"], s[L + "mlp.c_proj.bias"] = [f, d], [d]
    s["transformer.ln_f.weight"], s["transformer.ln_f.bias"] = [d], [d]
    if not tied:
        s["lm_head.weight"] = [V, d]
    return s


def llama_shapes(c, tied):
    d, f, V = c["hidden_size"], c["intermediate_size"], c["vocab_size"]
    hd, h, kvh = c["head_dim"], c["num_attention_heads"], c["num_key_value_heads"]
    s = {"model.embed_tokens.weight": [V, d]}
    for i in range(c["num_hidden_layers"]):
        L = f"model.layers.{i}."
        s[L + "input_layernorm.weight"] = [d]
        s[L + "self_attn.q_proj.weight"] = [h * hd, d]
        s[L + "self_attn.k_proj.weight"] = [kvh * hd, d]
        s[L + "self_attn.v_proj.weight"] = [kvh * hd, d]
        s[L + "self_attn.o_proj.weight"] = [d, h * hd]
        s[L + "post_attention_layernorm.weight"] = [d]
        s[L + "mlp.gate_proj.weight"] = [f, d]
        s[L + "mlp.up_proj.weight"] = [f, d]
        s[L + "mlp.down_proj.weight"] = [d, f]
    s["model.norm.weight"] = [d]
    if not tied:
        s["lm_head.weight"] = [V, d]
    return s


# ---------------------------------------------------------------- losses used by the training step

def lm_loss(logits, ids, mask):
    """Next-token cross-entropy over positions whose target is a real token, mean over them."""
    logp = logits[:, :-1].log_softmax(-1)
    nll = -logp.gather(-1, ids[:, 1:, None].long())[..., 0]
    m = (mask[:, 1:] * mask[:, :-1]).float()
    return (nll * m).sum() / m.sum()


def probe_loss(hidden, probe, mask):
    """A fixed random read-out of every real token's hidden state: reaches every weight."""
    m = mask[:, :, None].float()
    return (hidden * probe * m).sum() / m.sum()


# ---------------------------------------------------------------- cases

def save_case(out, name, config, sd, expected):
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    write_safetensors(os.path.join(d, "model.safetensors"), sd)
    write_safetensors(os.path.join(d, "expected.safetensors"), expected)


def backward(loss, sd):
    grads = torch.autograd.grad(loss, list(sd.values()))
    return {"grad." + k: g for k, g in zip(sd.keys(), grads)}


def right_padded(gen, b, t, vocab, lengths):
    ids = torch.randint(1, vocab, (b, t), generator=gen)
    mask = (torch.arange(t)[None] < torch.tensor(lengths)[:, None]).to(torch.int32)
    return ids * mask, mask


def bert_case(out, gen, name, pre_ln):
    c = {"architectures": ["BertModel"], "model_type": "bert", "vocab_size": 40, "hidden_size": 24,
         "num_hidden_layers": 2, "num_attention_heads": 3, "intermediate_size": 40,
         "max_position_embeddings": 16, "type_vocab_size": 2, "layer_norm_eps": 1e-12, "hidden_act": "gelu",
         "hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0, "pad_token_id": 0}
    if pre_ln:
        c["pre_layer_norm"] = True
    sd = random_weights(bert_shapes(c, "", pooler=True), gen)
    ids, mask = right_padded(gen, 3, 7, c["vocab_size"], [7, 5, 3])
    types = (torch.arange(7)[None] >= 4).to(torch.int64).expand(3, 7) * mask
    o = bert_forward(sd, c, ids, mask, types, "")
    probe = torch.randn(o["hidden"].shape, generator=gen)
    loss = probe_loss(o["hidden"], probe, mask) + o["pooled"].pow(2).sum()
    exp = {"input.ids": ids, "input.mask": mask, "input.types": types, "input.probe": probe,
           "out.hidden": o["hidden"], "out.pooled": o["pooled"], "loss": loss.reshape([])}
    exp.update(backward(loss, sd))
    save_case(out, name, c, sd, exp)


def electra_case(out, gen):
    c = {"architectures": ["ElectraForSequenceClassification"], "model_type": "electra", "vocab_size": 40,
         "embedding_size": 16, "hidden_size": 24, "num_hidden_layers": 2, "num_attention_heads": 2,
         "intermediate_size": 40, "max_position_embeddings": 16, "type_vocab_size": 2, "layer_norm_eps": 1e-12,
         "hidden_act": "gelu", "hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0,
         "num_labels": 1, "pad_token_id": 0}
    shapes = bert_shapes(c, "electra.", pooler=False)
    shapes.update({"classifier.dense.weight": [24, 24], "classifier.dense.bias": [24],
                   "classifier.out_proj.weight": [1, 24], "classifier.out_proj.bias": [1]})
    sd = random_weights(shapes, gen)
    ids, mask = right_padded(gen, 4, 6, c["vocab_size"], [6, 6, 4, 2])
    types = torch.zeros_like(ids)
    o = bert_forward(sd, c, ids, mask, types, "electra.")
    scores = electra_classifier(sd, o["hidden"])[:, 0]  # [b]
    # Group cross-entropy with the positive first, as the reward model trains (2 groups of 2).
    loss = F.cross_entropy(scores.view(2, 2), torch.zeros(2, dtype=torch.long))
    exp = {"input.ids": ids, "input.mask": mask, "input.types": types,
           "out.hidden": o["hidden"], "out.scores": scores, "loss": loss.reshape([])}
    exp.update(backward(loss, sd))
    save_case(out, "electra", c, sd, exp)


def gpt2_case(out, gen, name, tied):
    c = {"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "vocab_size": 48, "n_embd": 24,
         "n_layer": 2, "n_head": 3, "n_inner": 40, "n_positions": 16, "n_ctx": 16, "layer_norm_epsilon": 1e-5,
         "activation_function": "gelu_new", "resid_pdrop": 0.0, "embd_pdrop": 0.0, "attn_pdrop": 0.0,
         "tie_word_embeddings": tied}
    sd = random_weights(gpt2_shapes(c, tied), gen)
    ids, mask = right_padded(gen, 2, 8, c["vocab_size"], [8, 5])
    o = gpt2_forward(sd, c, ids, mask)
    loss = lm_loss(o["logits"], ids, mask)
    exp = {"input.ids": ids, "input.mask": mask, "out.hidden": o["hidden"], "out.logits": o["logits"],
           "loss": loss.reshape([])}
    exp.update(backward(loss, sd))
    save_case(out, name, c, sd, exp)


def llama_case(out, gen, name, tied):
    c = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 48, "hidden_size": 32,
         "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 8,
         "intermediate_size": 44, "max_position_embeddings": 64, "rms_norm_eps": 1e-6, "rope_theta": 10000.0,
         "hidden_act": "silu", "attention_bias": False, "tie_word_embeddings": tied}
    sd = random_weights(llama_shapes(c, tied), gen)
    b, t = 2, 10
    ids = torch.randint(3, c["vocab_size"], (b, t), generator=gen)
    # Left padding (LLaRA pads on the left): row 1 has 3 padding tokens.
    mask = torch.ones(b, t, dtype=torch.int32)
    mask[1, :3] = 0
    ids = ids * mask
    # A LLaRA-style joint prompt: the last 3 tokens may not see the 3 before them, and reuse their
    # position ids.
    block = torch.zeros(t, t, dtype=torch.bool)
    block[t - 3:, t - 6:t - 3] = True
    start = (1 - mask).sum(1, keepdim=True)
    pos = (torch.arange(t)[None] - start).clamp(min=0)
    pos[:, t - 3:] = pos[:, t - 6:t - 3]
    causal = torch.tril(torch.ones(t, t, dtype=torch.bool))
    allowed = causal[None, None] & mask[:, None, None, :].bool() & ~block[None, None]
    o = llama_forward(sd, c, ids, additive(allowed), pos)
    loss = lm_loss(o["logits"], ids, mask)
    exp = {"input.ids": ids, "input.mask": mask, "input.block": block.to(torch.int32), "input.positions": pos,
           "out.hidden": o["hidden"], "out.logits": o["logits"], "loss": loss.reshape([])}
    exp.update(backward(loss, sd))
    save_case(out, name, c, sd, exp)


def main():
    out = sys.argv[1]
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(1234)
    bert_case(out, gen, "bert", pre_ln=False)
    bert_case(out, gen, "bert-preln", pre_ln=True)
    electra_case(out, gen)
    gpt2_case(out, gen, "gpt2", tied=True)
    gpt2_case(out, gen, "gpt2-untied", tied=False)
    llama_case(out, gen, "llama", tied=False)
    llama_case(out, gen, "llama-tied", tied=True)
    print(json.dumps({"torch": torch.__version__, "cases": sorted(os.listdir(out))}))


if __name__ == "__main__":
    main()
