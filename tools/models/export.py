#!/usr/bin/python3
"""Export the Parallax reference models to ONNX (opset 17, batch 1, static shapes).

Compact PyTorch re-implementations of YOLOv8n, DistilBERT-base, the Whisper-tiny
encoder, the CLIP ViT-B/32 text encoder and SwinV2-Tiny with seeded random
weights (nothing is downloaded), plus "tiny" variants with the same structure
and op types for the unit tests.

Usage (Debian's python: /usr/bin/python3 has torch 1.13 + onnx):
    tools/models/export.py [--out DIR] [--tiny] [--only NAME[,NAME]] [--no-verify]

Full models go to DIR/<name>/model.onnx (default DIR: models/), tiny ones to
DIR/<name>_tiny/model.onnx (default DIR: tests/models/). Each export is checked
with onnx.checker and, unless --no-verify, run with ONNX Runtime
(tools/models/ort_run.js, needs `npm install --ignore-scripts` in the repo root)
on the inputs from zoo.make_inputs and compared with the torch output.
"""

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

import zoo  # noqa: E402

OPSET = 17
WEIGHT_SEED = 0


# --------------------------------------------------------------------------------------
# Weight initialisation: random but "alive" (unit-ish activations, non-trivial
# softmaxes, non-identity norms) so reference outputs are a meaningful test.
# --------------------------------------------------------------------------------------

def init_weights(model):
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d)):
            fan_in = m.weight[0].numel()
            nn.init.normal_(m.weight, 0.0, 1.0 / math.sqrt(fan_in))
            if m.bias is not None:
                nn.init.normal_(m.bias, 0.0, 0.02)
        elif isinstance(m, (nn.LayerNorm, nn.BatchNorm2d)):
            nn.init.normal_(m.weight, 1.0, 0.1)
            nn.init.normal_(m.bias, 0.0, 0.1)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, 0.0, 1.0)


# --------------------------------------------------------------------------------------
# YOLOv8n (ultralytics layout: backbone 0-9, neck 10-21, Detect 22)
# --------------------------------------------------------------------------------------

class Conv(nn.Module):
    """Conv2d + BatchNorm2d + SiLU (BN is folded into the conv at export)."""

    def __init__(self, c1, c2, k=1, s=1):
        super().__init__()
        self.conv = nn.Conv2d(c1, c2, k, s, k // 2, bias=False)
        self.bn = nn.BatchNorm2d(c2, eps=1e-3, momentum=0.03)
        self.act = nn.SiLU()

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


class Bottleneck(nn.Module):
    def __init__(self, c1, c2, shortcut=True, e=1.0):
        super().__init__()
        c_ = int(c2 * e)
        self.cv1 = Conv(c1, c_, 3, 1)
        self.cv2 = Conv(c_, c2, 3, 1)
        self.add = shortcut and c1 == c2

    def forward(self, x):
        y = self.cv2(self.cv1(x))
        return x + y if self.add else y


class C2f(nn.Module):
    def __init__(self, c1, c2, n=1, shortcut=False, e=0.5):
        super().__init__()
        self.c = int(c2 * e)
        self.cv1 = Conv(c1, 2 * self.c, 1, 1)
        self.cv2 = Conv((2 + n) * self.c, c2, 1)
        self.m = nn.ModuleList(Bottleneck(self.c, self.c, shortcut, e=1.0) for _ in range(n))

    def forward(self, x):
        y = list(self.cv1(x).split((self.c, self.c), 1))  # static Split (chunk adds Shape ops)
        for m in self.m:
            y.append(m(y[-1]))
        return self.cv2(torch.cat(y, 1))


class SPPF(nn.Module):
    def __init__(self, c1, c2, k=5):
        super().__init__()
        c_ = c1 // 2
        self.cv1 = Conv(c1, c_, 1, 1)
        self.cv2 = Conv(c_ * 4, c2, 1, 1)
        self.m = nn.MaxPool2d(kernel_size=k, stride=1, padding=k // 2)

    def forward(self, x):
        y = [self.cv1(x)]
        for _ in range(3):
            y.append(self.m(y[-1]))
        return self.cv2(torch.cat(y, 1))


class DFL(nn.Module):
    """Distribution focal loss integral: softmax over reg_max bins, then a fixed 1x1 conv."""

    def __init__(self, c1=16):
        super().__init__()
        self.conv = nn.Conv2d(c1, 1, 1, bias=False).requires_grad_(False)
        self.conv.weight.data[:] = torch.arange(c1, dtype=torch.float).view(1, c1, 1, 1)
        self.c1 = c1

    def forward(self, x):
        b, _, a = x.shape
        return self.conv(x.view(b, 4, self.c1, a).transpose(2, 1).softmax(1)).view(b, 4, a)


class Detect(nn.Module):
    def __init__(self, nc, ch, img, reg_max=16, c2=None, c3=None, strides=(8, 16, 32)):
        super().__init__()
        self.nc, self.nl, self.reg_max = nc, len(ch), reg_max
        self.no = nc + reg_max * 4
        c2 = c2 or max(16, ch[0] // 4, reg_max * 4)
        c3 = c3 or max(ch[0], min(nc, 100))
        self.cv2 = nn.ModuleList(
            nn.Sequential(Conv(x, c2, 3), Conv(c2, c2, 3), nn.Conv2d(c2, 4 * reg_max, 1)) for x in ch)
        self.cv3 = nn.ModuleList(
            nn.Sequential(Conv(x, c3, 3), Conv(c3, c3, 3), nn.Conv2d(c3, nc, 1)) for x in ch)
        self.dfl = DFL(reg_max)
        # Anchor points (grid cell centres) and strides; constants for a static input size.
        anchors, stride_t = [], []
        for s in strides:
            h = w = img // s
            sy, sx = torch.meshgrid(torch.arange(h) + 0.5, torch.arange(w) + 0.5, indexing="ij")
            anchors.append(torch.stack((sx, sy), -1).view(-1, 2))
            stride_t.append(torch.full((h * w, 1), float(s)))
        self.register_buffer("anchors", torch.cat(anchors).transpose(0, 1).unsqueeze(0))  # 1,2,A
        self.register_buffer("strides", torch.cat(stride_t).transpose(0, 1))  # 1,A

    def forward(self, xs):
        b = xs[0].shape[0]
        outs = [torch.cat((self.cv2[i](x), self.cv3[i](x)), 1).view(b, self.no, -1) for i, x in enumerate(xs)]
        x = torch.cat(outs, 2)
        box, cls = x.split((self.reg_max * 4, self.nc), 1)
        lt, rb = self.dfl(box).split((2, 2), 1)
        x1y1 = self.anchors - lt
        x2y2 = self.anchors + rb
        dbox = torch.cat(((x1y1 + x2y2) / 2, x2y2 - x1y1), 1) * self.strides
        return torch.cat((dbox, cls.sigmoid()), 1)


class YOLOv8(nn.Module):
    def __init__(self, img, ch, n, nc, reg_max, head_c2=None, head_c3=None):
        super().__init__()
        c0, c1, c2, c3, c4 = ch
        self.b0 = Conv(3, c0, 3, 2)
        self.b1 = Conv(c0, c1, 3, 2)
        self.b2 = C2f(c1, c1, n[0], True)
        self.b3 = Conv(c1, c2, 3, 2)
        self.b4 = C2f(c2, c2, n[1], True)
        self.b5 = Conv(c2, c3, 3, 2)
        self.b6 = C2f(c3, c3, n[2], True)
        self.b7 = Conv(c3, c4, 3, 2)
        self.b8 = C2f(c4, c4, n[3], True)
        self.b9 = SPPF(c4, c4, 5)
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        # Neck C2f repeats: round(3 * depth_multiple), the same as the last backbone stage (n[3]).
        self.h12 = C2f(c4 + c3, c3, n[3], False)
        self.h15 = C2f(c3 + c2, c2, n[3], False)
        self.h16 = Conv(c2, c2, 3, 2)
        self.h18 = C2f(c2 + c3, c3, n[3], False)
        self.h19 = Conv(c3, c3, 3, 2)
        self.h21 = C2f(c3 + c4, c4, n[3], False)
        self.detect = Detect(nc, (c2, c3, c4), img, reg_max, head_c2, head_c3)

    def forward(self, images):
        x = self.b2(self.b1(self.b0(images)))
        p3 = self.b4(self.b3(x))
        p4 = self.b6(self.b5(p3))
        p5 = self.b9(self.b8(self.b7(p4)))
        h12 = self.h12(torch.cat((self.up(p5), p4), 1))
        h15 = self.h15(torch.cat((self.up(h12), p3), 1))
        h18 = self.h18(torch.cat((self.h16(h15), h12), 1))
        h21 = self.h21(torch.cat((self.h19(h18), p5), 1))
        return self.detect([h15, h18, h21])


def build_yolov8n(c):
    m = YOLOv8(c["img"], c["ch"], c["n"], c["nc"], c["reg_max"], c["head_c2"], c["head_c3"])
    init_weights(m)
    # Calibrate BatchNorm running statistics on random images (one train-mode pass
    # with a cumulative average) so that activations stay O(1) through the network.
    # Enough images that the stride-32 maps give >= 256 samples per channel.
    calib = max(2, math.ceil(256 / (c["img"] // 32) ** 2))
    for mod in m.modules():
        if isinstance(mod, nn.BatchNorm2d):
            mod.momentum = None
            mod.reset_running_stats()
    m.train()
    with torch.no_grad():
        g = torch.Generator().manual_seed(1)
        m(torch.rand(calib, 3, c["img"], c["img"], generator=g))
    m.eval()
    return m


# --------------------------------------------------------------------------------------
# Transformer pieces shared by DistilBERT / Whisper / CLIP
# --------------------------------------------------------------------------------------

class MHA(nn.Module):
    """Multi-head self-attention: q/k/v/out projections, scaled dot product, optional
    additive mask broadcastable to (B, H, L, L)."""

    def __init__(self, dim, heads, k_bias=True):
        super().__init__()
        self.h, self.dh = heads, dim // heads
        self.scale = self.dh ** -0.5
        self.q = nn.Linear(dim, dim)
        self.k = nn.Linear(dim, dim, bias=k_bias)
        self.v = nn.Linear(dim, dim)
        self.o = nn.Linear(dim, dim)

    def forward(self, x, add_mask=None):
        b, l, d = x.shape
        q = (self.q(x) * self.scale).view(b, l, self.h, self.dh).transpose(1, 2)
        k = self.k(x).view(b, l, self.h, self.dh).transpose(1, 2)
        v = self.v(x).view(b, l, self.h, self.dh).transpose(1, 2)
        s = q @ k.transpose(-1, -2)
        if add_mask is not None:
            s = s + add_mask
        p = s.softmax(-1)
        return self.o((p @ v).transpose(1, 2).reshape(b, l, d))


class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class MLP(nn.Module):
    def __init__(self, dim, ffn, act):
        super().__init__()
        self.fc1 = nn.Linear(dim, ffn)
        self.act = act
        self.fc2 = nn.Linear(ffn, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


# --------------------------------------------------------------------------------------
# DistilBERT (post-LN encoder, erf GELU, LayerNorm eps 1e-12)
# --------------------------------------------------------------------------------------

class DistilBertLayer(nn.Module):
    def __init__(self, dim, heads, ffn):
        super().__init__()
        self.attention = MHA(dim, heads)
        self.sa_layer_norm = nn.LayerNorm(dim, eps=1e-12)
        self.ffn = MLP(dim, ffn, nn.GELU())
        self.output_layer_norm = nn.LayerNorm(dim, eps=1e-12)

    def forward(self, x, add_mask):
        x = self.sa_layer_norm(self.attention(x, add_mask) + x)
        return self.output_layer_norm(self.ffn(x) + x)


class DistilBert(nn.Module):
    def __init__(self, vocab, max_pos, dim, layers, heads, ffn, seq):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab, dim)
        self.position_embeddings = nn.Embedding(max_pos, dim)
        self.layer_norm = nn.LayerNorm(dim, eps=1e-12)
        self.layers = nn.ModuleList(DistilBertLayer(dim, heads, ffn) for _ in range(layers))
        self.register_buffer("position_ids", torch.arange(max_pos).unsqueeze(0))

    def forward(self, input_ids, attention_mask):
        seq = input_ids.shape[1]
        x = self.word_embeddings(input_ids) + self.position_embeddings(self.position_ids[:, :seq])
        x = self.layer_norm(x)
        # (1 - mask) * most-negative-float, broadcast over heads and query positions.
        m = attention_mask.to(torch.float32)[:, None, None, :]
        add_mask = (1.0 - m) * torch.finfo(torch.float32).min
        for layer in self.layers:
            x = layer(x, add_mask)
        return x


def build_distilbert(c):
    m = DistilBert(**c)
    init_weights(m)
    return m.eval()


# --------------------------------------------------------------------------------------
# Whisper encoder (conv stem + sinusoidal positions + pre-LN encoder + final LN)
# --------------------------------------------------------------------------------------

def sinusoids(length, channels, max_timescale=10000):
    inc = math.log(max_timescale) / (channels // 2 - 1)
    inv = torch.exp(-inc * torch.arange(channels // 2, dtype=torch.float32))
    t = torch.arange(length, dtype=torch.float32)[:, None] * inv[None, :]
    return torch.cat([torch.sin(t), torch.cos(t)], dim=1)


class PreLNLayer(nn.Module):
    """Pre-LN transformer layer (Whisper encoder / CLIP text)."""

    def __init__(self, dim, heads, ffn, act, k_bias=True):
        super().__init__()
        self.ln1 = nn.LayerNorm(dim, eps=1e-5)
        self.attn = MHA(dim, heads, k_bias=k_bias)
        self.ln2 = nn.LayerNorm(dim, eps=1e-5)
        self.mlp = MLP(dim, ffn, act)

    def forward(self, x, add_mask=None):
        x = x + self.attn(self.ln1(x), add_mask)
        return x + self.mlp(self.ln2(x))


class WhisperEncoder(nn.Module):
    def __init__(self, n_mels, frames, dim, layers, heads, ffn):
        super().__init__()
        self.conv1 = nn.Conv1d(n_mels, dim, 3, padding=1)
        self.conv2 = nn.Conv1d(dim, dim, 3, stride=2, padding=1)
        self.gelu = nn.GELU()
        self.register_buffer("embed_positions", sinusoids(frames // 2, dim))
        # Whisper's k_proj has no bias.
        self.layers = nn.ModuleList(PreLNLayer(dim, heads, ffn, nn.GELU(), k_bias=False) for _ in range(layers))
        self.layer_norm = nn.LayerNorm(dim, eps=1e-5)

    def forward(self, input_features):
        x = self.gelu(self.conv1(input_features))
        x = self.gelu(self.conv2(x))
        x = x.permute(0, 2, 1) + self.embed_positions
        for layer in self.layers:
            x = layer(x)
        return self.layer_norm(x)


def build_whisper_encoder(c):
    m = WhisperEncoder(**c)
    init_weights(m)
    return m.eval()


# --------------------------------------------------------------------------------------
# Whisper decoder, one step (the dynamic model of the heterogeneous issue): the new token's
# embedding, causal self-attention over a growing key/value cache (past_keys/past_values,
# [layers, 1, heads, T, head_dim], T = tokens so far, 0 at the start), cross-attention to
# the encoder output, tied output projection. A greedy loop feeds each step's new_keys /
# new_values back as the next step's past (tests/unit/whisper_decode_test.cc).
# --------------------------------------------------------------------------------------

class DecoderLayer(nn.Module):
    def __init__(self, dim, heads, ffn):
        super().__init__()
        self.heads = heads
        self.ln1, self.ln2, self.ln3 = (nn.LayerNorm(dim, eps=1e-5) for _ in range(3))
        self.q, self.v, self.o = nn.Linear(dim, dim), nn.Linear(dim, dim), nn.Linear(dim, dim)
        self.k = nn.Linear(dim, dim, bias=False)
        self.cq, self.cv, self.co = nn.Linear(dim, dim), nn.Linear(dim, dim), nn.Linear(dim, dim)
        self.ck = nn.Linear(dim, dim, bias=False)
        self.fc1, self.fc2, self.act = nn.Linear(dim, ffn), nn.Linear(ffn, dim), nn.GELU()

    def split(self, t):
        b, l, d = t.shape
        return t.view(b, l, self.heads, d // self.heads).transpose(1, 2)

    def attend(self, q, k, v):
        w = torch.softmax(q @ k.transpose(-1, -2) * (q.shape[-1] ** -0.5), -1)
        o = w @ v
        b, h, l, dh = o.shape
        return o.transpose(1, 2).reshape(b, l, h * dh)

    def forward(self, x, past_k, past_v, enc):
        h = self.ln1(x)
        keys = torch.cat((past_k, self.split(self.k(h))), 2)      # 1, H, T+1, Dh
        values = torch.cat((past_v, self.split(self.v(h))), 2)
        x = x + self.o(self.attend(self.split(self.q(h)), keys, values))  # one query: causal
        h = self.ln2(x)
        x = x + self.co(self.attend(self.split(self.cq(h)), self.split(self.ck(enc)), self.split(self.cv(enc))))
        x = x + self.fc2(self.act(self.fc1(self.ln3(x))))
        return x, keys, values


class WhisperDecoderStep(nn.Module):
    def __init__(self, vocab, dim, layers, heads, ffn, max_pos, enc_len):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.pos = nn.Embedding(max_pos, dim)
        self.layers = nn.ModuleList(DecoderLayer(dim, heads, ffn) for _ in range(layers))
        self.ln = nn.LayerNorm(dim, eps=1e-5)

    def forward(self, tokens, past_keys, past_values, encoder_out):
        t = past_keys.shape[3]
        x = self.embed(tokens) + self.pos(torch.zeros_like(tokens) + t)
        new_k, new_v = [], []
        for i, layer in enumerate(self.layers):
            x, k, v = layer(x, past_keys[i], past_values[i], encoder_out)
            new_k.append(k)
            new_v.append(v)
        logits = self.ln(x) @ self.embed.weight.t()
        return logits, torch.stack(new_k), torch.stack(new_v)


def build_whisper_decoder(c):
    m = WhisperDecoderStep(**c)
    init_weights(m)
    return m.eval()


def greedy_tokens(model, encoder_out, steps, c):
    """The reference greedy decode (torch): token ids, starting from token 1."""
    hd = c["dim"] // c["heads"]
    past_k = torch.zeros((c["layers"], 1, c["heads"], 0, hd))
    past_v = torch.zeros_like(past_k)
    tok, out = torch.tensor([[1]]), []
    with torch.no_grad():
        for _ in range(steps):
            logits, past_k, past_v = model(tok, past_k, past_v, encoder_out)
            tok = logits[:, -1].argmax(-1, keepdim=True)
            out.append(int(tok))
    return np.array(out, dtype=np.int64)


# --------------------------------------------------------------------------------------
# CLIP text encoder (causal pre-LN transformer, quick_gelu, EOT pooling)
# --------------------------------------------------------------------------------------

class ClipText(nn.Module):
    def __init__(self, vocab, ctx, dim, layers, heads, ffn):
        super().__init__()
        self.token_embedding = nn.Embedding(vocab, dim)
        self.position_embedding = nn.Embedding(ctx, dim)
        self.layers = nn.ModuleList(PreLNLayer(dim, heads, ffn, QuickGELU()) for _ in range(layers))
        self.final_layer_norm = nn.LayerNorm(dim, eps=1e-5)
        self.register_buffer("position_ids", torch.arange(ctx).unsqueeze(0))
        causal = torch.full((ctx, ctx), torch.finfo(torch.float32).min).triu(1)
        self.register_buffer("causal_mask", causal[None, None])

    def forward(self, input_ids):
        b, l = input_ids.shape
        x = self.token_embedding(input_ids) + self.position_embedding(self.position_ids[:, :l])
        for layer in self.layers:
            x = layer(x, self.causal_mask)
        x = self.final_layer_norm(x)
        # Pool at the end-of-text token, which has the largest id: flat Gather of row
        # b*l + argmax(ids[b]).
        eot = input_ids.argmax(-1) + torch.arange(b) * l
        pooled = x.reshape(b * l, -1).index_select(0, eot)
        return x, pooled


def build_clip_text(c):
    m = ClipText(**c)
    init_weights(m)
    return m.eval()


# --------------------------------------------------------------------------------------
# SwinV2 (cosine attention with learnt logit scale, continuous position bias MLP,
# res-post-norm, shifted windows with -100 attention mask, patch merging)
# --------------------------------------------------------------------------------------

def window_partition(x, ws):
    b, h, w, c = x.shape
    x = x.view(b, h // ws, ws, w // ws, ws, c)
    return x.permute(0, 1, 3, 2, 4, 5).reshape(-1, ws * ws, c)


def window_reverse(windows, ws, h, w):
    c = windows.shape[-1]
    x = windows.view(-1, h // ws, w // ws, ws, ws, c)
    return x.permute(0, 1, 3, 2, 4, 5).reshape(-1, h, w, c)


def l2_normalize(x, eps=1e-12):
    # F.normalize(x, dim=-1) without its expand_as (which exports as Shape + Expand).
    return x / x.norm(p=2, dim=-1, keepdim=True).clamp_min(eps)


class WindowAttentionV2(nn.Module):
    def __init__(self, dim, heads, ws):
        super().__init__()
        self.h, self.ws = heads, ws
        self.logit_scale = nn.Parameter(torch.log(10 * torch.ones(heads, 1, 1)))
        self.cpb_mlp = nn.Sequential(nn.Linear(2, 512, bias=True), nn.ReLU(), nn.Linear(512, heads, bias=False))
        # Log-spaced relative coordinates table, (1, 2ws-1, 2ws-1, 2).
        r = torch.arange(-(ws - 1), ws, dtype=torch.float32)
        table = torch.stack(torch.meshgrid(r, r, indexing="ij")).permute(1, 2, 0).unsqueeze(0)
        if ws > 1:
            table = table / (ws - 1)
        table = table * 8
        table = torch.sign(table) * torch.log2(table.abs() + 1.0) / math.log2(8)
        self.register_buffer("relative_coords_table", table)
        coords = torch.stack(torch.meshgrid(torch.arange(ws), torch.arange(ws), indexing="ij")).flatten(1)
        rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0) + (ws - 1)
        self.register_buffer("relative_position_index", rel[:, :, 0] * (2 * ws - 1) + rel[:, :, 1])
        self.query = nn.Linear(dim, dim, bias=True)
        self.key = nn.Linear(dim, dim, bias=False)
        self.value = nn.Linear(dim, dim, bias=True)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x, mask=None):
        bw, n, c = x.shape
        q = self.query(x).view(bw, n, self.h, -1).transpose(1, 2)
        k = self.key(x).view(bw, n, self.h, -1).transpose(1, 2)
        v = self.value(x).view(bw, n, self.h, -1).transpose(1, 2)
        # Cosine attention. The position-bias MLP and the logit scale depend only on
        # parameters and are constant-folded at export.
        attn = l2_normalize(q) @ l2_normalize(k).transpose(-2, -1)
        attn = attn * torch.clamp(self.logit_scale, max=math.log(1.0 / 0.01)).exp()
        bias_table = self.cpb_mlp(self.relative_coords_table).view(-1, self.h)
        bias = bias_table[self.relative_position_index.view(-1)].view(n, n, -1).permute(2, 0, 1)
        attn = attn + 16 * torch.sigmoid(bias).unsqueeze(0)
        if mask is not None:
            nw = mask.shape[0]
            attn = attn.view(bw // nw, nw, self.h, n, n) + mask.unsqueeze(1).unsqueeze(0)
            attn = attn.view(-1, self.h, n, n)
        attn = attn.softmax(-1)
        out = (attn @ v).transpose(1, 2).reshape(bw, n, c)
        return self.proj(out)


class SwinV2Block(nn.Module):
    def __init__(self, dim, res, heads, ws, shift):
        super().__init__()
        if res <= ws:  # window covers the whole map: no shifting (as in HF/timm)
            ws, shift = res, 0
        self.res, self.ws, self.shift = res, ws, shift
        self.attn = WindowAttentionV2(dim, heads, ws)
        self.norm1 = nn.LayerNorm(dim, eps=1e-5)
        self.mlp = MLP(dim, 4 * dim, nn.GELU())
        self.norm2 = nn.LayerNorm(dim, eps=1e-5)
        if shift > 0:
            img = torch.zeros(1, res, res, 1)
            cnt = 0
            sl = (slice(0, -ws), slice(-ws, -shift), slice(-shift, None))
            for hs in sl:
                for wsl in sl:
                    img[:, hs, wsl, :] = cnt
                    cnt += 1
            mw = window_partition(img, ws).squeeze(-1)
            mask = mw.unsqueeze(1) - mw.unsqueeze(2)
            mask = mask.masked_fill(mask != 0, -100.0).masked_fill(mask == 0, 0.0)
            self.register_buffer("attn_mask", mask)
        else:
            self.attn_mask = None

    def forward(self, x):
        b, l, c = x.shape
        h = w = self.res
        shortcut = x
        x = x.view(b, h, w, c)
        if self.shift > 0:
            x = torch.roll(x, shifts=(-self.shift, -self.shift), dims=(1, 2))
        win = self.attn(window_partition(x, self.ws), self.attn_mask)
        x = window_reverse(win, self.ws, h, w)
        if self.shift > 0:
            x = torch.roll(x, shifts=(self.shift, self.shift), dims=(1, 2))
        x = shortcut + self.norm1(x.reshape(b, l, c))  # res-post-norm
        return x + self.norm2(self.mlp(x))


class PatchMergingV2(nn.Module):
    def __init__(self, dim, res):
        super().__init__()
        self.res = res
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
        self.norm = nn.LayerNorm(2 * dim, eps=1e-5)

    def forward(self, x):
        b, l, c = x.shape
        x = x.view(b, self.res, self.res, c)
        x0 = x[:, 0::2, 0::2, :]
        x1 = x[:, 1::2, 0::2, :]
        x2 = x[:, 0::2, 1::2, :]
        x3 = x[:, 1::2, 1::2, :]
        x = torch.cat([x0, x1, x2, x3], -1).view(b, -1, 4 * c)
        return self.norm(self.reduction(x))


class SwinV2(nn.Module):
    def __init__(self, img, patch, embed, depths, heads, window, classes):
        super().__init__()
        self.patch_embed = nn.Conv2d(3, embed, patch, patch)
        self.patch_norm = nn.LayerNorm(embed, eps=1e-5)
        blocks = []
        res, dim = img // patch, embed
        for i, (d, nh) in enumerate(zip(depths, heads)):
            for j in range(d):
                blocks.append(SwinV2Block(dim, res, nh, window, 0 if j % 2 == 0 else window // 2))
            if i < len(depths) - 1:
                blocks.append(PatchMergingV2(dim, res))
                res, dim = res // 2, dim * 2
        self.blocks = nn.Sequential(*blocks)
        self.norm = nn.LayerNorm(dim, eps=1e-5)
        self.classifier = nn.Linear(dim, classes)

    def forward(self, pixel_values):
        x = self.patch_embed(pixel_values)
        x = x.view(x.shape[0], x.shape[1], -1).transpose(1, 2)  # flatten(2) would add Shape ops
        x = self.blocks(self.patch_norm(x))
        x = self.norm(x).mean(1)
        return self.classifier(x)


def build_swinv2_tiny(c):
    m = SwinV2(**c)
    init_weights(m)
    for mod in m.modules():  # HF init of the cosine-attention scale: log(10)
        if isinstance(mod, WindowAttentionV2):
            mod.logit_scale.data.fill_(math.log(10.0))
    return m.eval()


# --------------------------------------------------------------------------------------
# YOLOv8n with post-processing in the graph (the dynamic model of the heterogeneous issue):
# box decode, candidate TopK, score filter + NonMaxSuppression, Gather. The number of
# detections depends on the image.
# --------------------------------------------------------------------------------------

class NMS(torch.autograd.Function):
    """ONNX NonMaxSuppression (center_point_box=0) with a plain greedy torch reference."""

    @staticmethod
    def forward(ctx, boxes, scores, max_out, iou_thr, score_thr):
        out = []
        for b in range(boxes.shape[0]):
            for c in range(scores.shape[1]):
                s = scores[b, c]
                order = [int(i) for i in torch.argsort(s, descending=True, stable=True) if s[i] > score_thr]
                keep = []
                for i in order:
                    if len(keep) >= int(max_out):
                        break
                    ok = True
                    for j in keep:
                        bi, bj = boxes[b, i], boxes[b, j]
                        y1, x1 = torch.maximum(bi[0], bj[0]), torch.maximum(bi[1], bj[1])
                        y2, x2 = torch.minimum(bi[2], bj[2]), torch.minimum(bi[3], bj[3])
                        inter = torch.clamp(y2 - y1, min=0) * torch.clamp(x2 - x1, min=0)
                        ai = (bi[2] - bi[0]) * (bi[3] - bi[1])
                        aj = (bj[2] - bj[0]) * (bj[3] - bj[1])
                        if inter / (ai + aj - inter) > iou_thr:
                            ok = False
                            break
                    if ok:
                        keep.append(i)
                out += [[b, c, i] for i in keep]
        return torch.tensor(out, dtype=torch.int64).reshape(-1, 3)

    @staticmethod
    def symbolic(g, boxes, scores, max_out, iou_thr, score_thr):
        return g.op("NonMaxSuppression", boxes, scores, max_out, iou_thr, score_thr, center_point_box_i=0)


class YOLOv8NMS(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.yolo = build_yolov8n(c)
        self.candidates = c["candidates"]
        self.register_buffer("max_out", torch.tensor([c["max_det"]], dtype=torch.int64))
        self.register_buffer("iou", torch.tensor([0.45], dtype=torch.float32))
        self.register_buffer("score", torch.tensor([0.95], dtype=torch.float32))

    def forward(self, images):
        out = self.yolo(images)                       # 1, 4 + nc, A: xywh, class scores
        xy, wh, cls = out[:, 0:2], out[:, 2:4], out[:, 4:]
        boxes = torch.cat((xy - wh / 2, xy + wh / 2), 1).transpose(1, 2)   # 1, A, 4 corners
        best = cls.max(1).values                      # 1, A
        _, idx = best.topk(self.candidates, 1)        # 1, K: the K most confident anchors
        boxes = boxes[0, idx[0]].unsqueeze(0)         # 1, K, 4
        scores = cls[0][:, idx[0]].unsqueeze(0)       # 1, nc, K
        sel = NMS.apply(boxes, scores, self.max_out, self.iou, self.score)  # N, 3
        det_boxes = boxes[0, sel[:, 2]]               # N, 4
        det_scores = scores[0, sel[:, 1], sel[:, 2]]  # N
        return det_boxes, det_scores, sel[:, 1]


def build_yolov8n_nms(c):
    m = YOLOv8NMS(c)
    m.eval()
    return m


BUILDERS = {
    "yolov8n": build_yolov8n,
    "yolov8n_nms": build_yolov8n_nms,
    "whisper_decoder": build_whisper_decoder,
    "distilbert": build_distilbert,
    "whisper_encoder": build_whisper_encoder,
    "clip_text": build_clip_text,
    "swinv2_tiny": build_swinv2_tiny,
}


# --------------------------------------------------------------------------------------
# Export + verification
# --------------------------------------------------------------------------------------

def op_histogram(model):
    hist = {}
    for n in model.graph.node:
        hist[n.op_type] = hist.get(n.op_type, 0) + 1
    return dict(sorted(hist.items()))


def export_one(name, tiny, out_root, verify=True, threads=1):
    cfg = zoo.config(name, tiny)
    torch.manual_seed(WEIGHT_SEED)
    model = BUILDERS[name](cfg)
    inputs = zoo.make_inputs(name, tiny)
    in_names, out_names = zoo.INPUT_NAMES[name], zoo.OUTPUT_NAMES[name]
    args = tuple(torch.from_numpy(inputs[k]) for k in in_names)

    d = zoo.model_dir(name, tiny, out_root)
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "model.onnx")
    t0 = time.time()
    with torch.no_grad():
        ref = model(*args)
        torch.onnx.export(model, args, path, opset_version=OPSET, do_constant_folding=True,
                          input_names=in_names, output_names=out_names,
                          dynamic_axes=zoo.DYNAMIC_AXES.get(name))
        if name == "whisper_decoder":  # the greedy loop's reference, for the decode test
            np.save(os.path.join(d, "greedy_tokens.npy"),
                    greedy_tokens(model, args[3], cfg.get("greedy_steps", 8), cfg))
    if isinstance(ref, torch.Tensor):
        ref = (ref,)
    ref = {k: v.numpy() for k, v in zip(out_names, ref)}

    onnx.checker.check_model(path)
    m = onnx.load(path)
    nparams = sum(int(np.prod(t.dims)) for t in m.graph.initializer)
    size = os.path.getsize(path)
    print("[%s%s] %s: %.2f MB, %d initializer values, %d nodes, export %.1fs" % (
        name, "_tiny" if tiny else "", path, size / 1e6, nparams, len(m.graph.node), time.time() - t0))
    print("  ops: %s" % ", ".join("%s=%d" % kv for kv in op_histogram(m).items()))
    for k, v in ref.items():
        print("  torch %s %s %s range [%.4g, %.4g]" % (k, v.dtype, list(v.shape), v.min(), v.max()))
    del m

    if not verify:
        return True
    if not zoo.ort_available():
        print("  ORT check skipped: run `npm install --ignore-scripts` in %s" % zoo.REPO)
        return True
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        paths = zoo.save_inputs(inputs, os.path.join(tmp, "in"))
        od = os.path.join(tmp, "out")
        r = subprocess.run(zoo.ort_run_cmd(path, paths, od, threads), capture_output=True, text=True)
        if r.returncode != 0:
            print("  ORT FAILED:\n" + r.stdout + r.stderr)
            return False
        for k, v in ref.items():
            o = np.load(os.path.join(od, k + ".npy"))
            if o.shape != v.shape:
                print("  ORT %s shape %s != torch %s" % (k, o.shape, v.shape))
                ok = False
                continue
            diff = np.abs(o.astype(np.float64) - v.astype(np.float64))
            rel = diff.max() / max(np.abs(v).max(), 1e-12)
            good = rel < 1e-4
            ok &= bool(good)
            print("  ORT vs torch %s: shape %s max_abs_diff %.3g max_rel(to max|ref|) %.3g %s" % (
                k, list(o.shape), diff.max(), rel, "OK" if good else "MISMATCH"))
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=None, help="output root (default: models/ or tests/models/ with --tiny)")
    ap.add_argument("--tiny", action="store_true", help="export the tiny test variants")
    ap.add_argument("--only", default=None, help="comma-separated model names (%s)" % ",".join(zoo.ALL_NAMES))
    ap.add_argument("--no-verify", action="store_true", help="skip the ONNX Runtime comparison")
    ap.add_argument("--threads", type=int, default=1, help="torch / ORT threads (default 1)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    names = zoo.ALL_NAMES if not a.only else a.only.split(",")
    for n in names:
        if n not in BUILDERS:
            ap.error("unknown model %s (choose from %s)" % (n, ", ".join(zoo.ALL_NAMES)))
    failed = []
    for n in names:
        if not export_one(n, a.tiny, a.out, verify=not a.no_verify, threads=a.threads):
            failed.append(n)
    if failed:
        print("FAILED: " + ", ".join(failed))
        sys.exit(1)


if __name__ == "__main__":
    main()
