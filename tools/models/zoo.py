"""Shared definitions for the Parallax model zoo (numpy only, no torch).

Model configurations (full and tiny), where each variant lives on disk, and the
seeded random inputs used for the reference outputs. Imported by export.py
(torch) and make_refs.py (numpy + node)."""

import os
import zlib

import numpy as np

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FULL_ROOT = os.path.join(REPO, "models")
TINY_ROOT = os.path.join(REPO, "tests", "models")
ORT_RUN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ort_run.js")

NAMES = ["yolov8n", "distilbert", "whisper_encoder", "clip_text", "swinv2_tiny"]
# Models whose output sizes depend on the input (not part of the five-model benchmark).
DYNAMIC_NAMES = ["yolov8n_nms", "whisper_decoder"]
# torch.onnx.export dynamic_axes for the models whose shapes change from run to run.
DYNAMIC_AXES = {
    "whisper_decoder": {"past_keys": {3: "past"}, "past_values": {3: "past"},
                        "new_keys": {3: "total"}, "new_values": {3: "total"}},
}
ALL_NAMES = NAMES + DYNAMIC_NAMES

# Each config holds the architecture hyper-parameters read by export.py and the
# input shapes read by make_inputs().
CONFIGS = {
    "yolov8n": {
        # width 0.25 / depth 0.33 of the YOLOv8 base [64,128,256,512,1024] x [3,6,6,3].
        "full": dict(img=640, ch=[16, 32, 64, 128, 256], n=[1, 2, 2, 1], nc=80, reg_max=16,
                     head_c2=None, head_c3=None),
        # width 1/16; detect-head hidden widths reduced to keep the file small.
        "tiny": dict(img=64, ch=[4, 8, 16, 32, 64], n=[1, 2, 2, 1], nc=80, reg_max=16,
                     head_c2=16, head_c3=16),
    },
    "yolov8n_nms": {
        "full": dict(img=640, ch=[16, 32, 64, 128, 256], n=[1, 2, 2, 1], nc=80, reg_max=16,
                     head_c2=None, head_c3=None, candidates=300, max_det=20),
        "tiny": dict(img=64, ch=[4, 8, 16, 32, 64], n=[1, 2, 2, 1], nc=80, reg_max=16,
                     head_c2=16, head_c3=16, candidates=40, max_det=5),
    },
    "whisper_decoder": {
        # Whisper-tiny's decoder: d 384, 4 layers, 6 heads, vocab 51865, 448 positions; the
        # encoder output of the full encoder (1500 frames).
        "full": dict(vocab=51865, dim=384, layers=4, heads=6, ffn=1536, max_pos=448, enc_len=1500),
        "tiny": dict(vocab=500, dim=64, layers=2, heads=4, ffn=256, max_pos=32, enc_len=100),
    },
    "distilbert": {
        "full": dict(vocab=30522, max_pos=512, dim=768, layers=6, heads=12, ffn=3072, seq=128),
        "tiny": dict(vocab=1000, max_pos=64, dim=64, layers=2, heads=4, ffn=256, seq=16),
    },
    "whisper_encoder": {
        "full": dict(n_mels=80, frames=3000, dim=384, layers=4, heads=6, ffn=1536),
        "tiny": dict(n_mels=80, frames=200, dim=64, layers=2, heads=4, ffn=256),
    },
    "clip_text": {
        "full": dict(vocab=49408, ctx=77, dim=512, layers=12, heads=8, ffn=2048),
        "tiny": dict(vocab=1000, ctx=16, dim=64, layers=2, heads=4, ffn=256),
    },
    "swinv2_tiny": {
        "full": dict(img=256, patch=4, embed=96, depths=[2, 2, 6, 2], heads=[3, 6, 12, 24],
                     window=8, classes=1000),
        "tiny": dict(img=64, patch=4, embed=8, depths=[2, 2, 2, 2], heads=[1, 2, 4, 8],
                     window=4, classes=1000),
    },
}

INPUT_NAMES = {
    "yolov8n": ["images"],
    "yolov8n_nms": ["images"],
    "whisper_decoder": ["tokens", "past_keys", "past_values", "encoder_out"],
    "distilbert": ["input_ids", "attention_mask"],
    "whisper_encoder": ["input_features"],
    "clip_text": ["input_ids"],
    "swinv2_tiny": ["pixel_values"],
}

OUTPUT_NAMES = {
    "yolov8n": ["output0"],
    "yolov8n_nms": ["det_boxes", "det_scores", "det_classes"],
    "whisper_decoder": ["logits", "new_keys", "new_values"],
    "distilbert": ["last_hidden_state"],
    "whisper_encoder": ["last_hidden_state"],
    "clip_text": ["last_hidden_state", "pooler_output"],
    "swinv2_tiny": ["logits"],
}


def config(name, tiny):
    return dict(CONFIGS[name]["tiny" if tiny else "full"])


def model_dir(name, tiny, root=None):
    """tests/models/<name>_tiny for tiny variants, models/<name> for full ones."""
    if root is None:
        root = TINY_ROOT if tiny else FULL_ROOT
    return os.path.join(root, name + "_tiny" if tiny else name)


def input_seed(name, tiny):
    return zlib.crc32(("%s:%s" % (name, "tiny" if tiny else "full")).encode()) & 0x7FFFFFFF


def make_inputs(name, tiny):
    """Deterministic random inputs (dict name -> np.ndarray) for a model variant."""
    c = config(name, tiny)
    rng = np.random.default_rng(input_seed(name, tiny))
    if name in ("yolov8n", "yolov8n_nms"):
        return {"images": rng.random((1, 3, c["img"], c["img"]), dtype=np.float32)}
    if name == "distilbert":
        seq = c["seq"]
        ids = rng.integers(0, c["vocab"], size=(1, seq), dtype=np.int64)
        mask = np.ones((1, seq), dtype=np.int64)
        mask[:, seq - max(2, seq // 16):] = 0  # a few padded positions at the end
        return {"input_ids": ids, "attention_mask": mask}
    if name == "whisper_encoder":
        x = rng.standard_normal((1, c["n_mels"], c["frames"]), dtype=np.float32)
        return {"input_features": x}
    if name == "clip_text":
        ctx, vocab = c["ctx"], c["vocab"]
        n = (ctx * 2) // 3  # position of the end-of-text token
        ids = np.zeros((1, ctx), dtype=np.int64)
        ids[0, 0] = vocab - 2  # start-of-text
        ids[0, 1:n] = rng.integers(1, vocab - 2, size=n - 1)
        ids[0, n] = vocab - 1  # end-of-text: largest id, picked by argmax for pooling
        return {"input_ids": ids}
    if name == "whisper_decoder":
        hd = c["dim"] // c["heads"]
        past = (c["layers"], 1, c["heads"], 3, hd)  # three tokens already decoded
        return {"tokens": np.array([[7]], dtype=np.int64),
                "past_keys": rng.standard_normal(past, dtype=np.float32),
                "past_values": rng.standard_normal(past, dtype=np.float32),
                "encoder_out": rng.standard_normal((1, c["enc_len"], c["dim"]), dtype=np.float32)}
    if name == "swinv2_tiny":
        return {"pixel_values": rng.standard_normal((1, 3, c["img"], c["img"]), dtype=np.float32)}
    raise KeyError(name)


def save_inputs(inputs, directory):
    os.makedirs(directory, exist_ok=True)
    paths = {}
    for k, v in inputs.items():
        p = os.path.join(directory, k + ".npy")
        np.save(p, np.ascontiguousarray(v))
        paths[k] = p
    return paths


def ort_run_cmd(model_path, input_paths, output_dir, threads=1):
    cmd = ["node", ORT_RUN, model_path, "--output-dir", output_dir, "--threads", str(threads)]
    for k, p in input_paths.items():
        cmd += ["--input", "%s=%s" % (k, p)]
    return cmd


def ort_available():
    return os.path.isdir(os.path.join(REPO, "node_modules", "onnxruntime-node"))
