"""Reads and writes the tensor folders of bench/reference/tensors.ts (manifest.json + tensors.bin)."""
import json
import os

import numpy as np


def read_folder(path):
    with open(os.path.join(path, "manifest.json")) as f:
        manifest = json.load(f)
    raw = np.fromfile(os.path.join(path, "tensors.bin"), dtype="<f4")
    arrays = {}
    for e in manifest.pop("tensors"):
        size = int(np.prod(e["shape"])) if e["shape"] else 1
        arrays[e["name"]] = raw[e["offset"] : e["offset"] + size].reshape(e["shape"])
    return arrays, manifest


def write_folder(path, arrays, extra=None):
    os.makedirs(path, exist_ok=True)
    entries, chunks, offset = [], [], 0
    for name, value in arrays.items():
        a = np.ascontiguousarray(np.asarray(value, dtype="<f4"))
        entries.append({"name": name, "shape": list(a.shape), "offset": offset})
        chunks.append(a.reshape(-1))
        offset += a.size
    np.concatenate(chunks).tofile(os.path.join(path, "tensors.bin"))
    with open(os.path.join(path, "manifest.json"), "w") as f:
        json.dump({**(extra or {}), "tensors": entries}, f)


def params_from(arrays, dtype):
    """The engine's parameters (the `param:*` arrays) as leaf tensors that take gradients."""
    import torch

    return {k[len("param:") :]: torch.tensor(v, dtype=dtype, requires_grad=True) for k, v in arrays.items() if k.startswith("param:")}
