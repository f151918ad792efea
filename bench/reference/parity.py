"""
Parity: the engine's weights and batch (written by parity.ts) through the PyTorch flow in
float64; writes log p per example, the mean bpd and its gradient per parameter to <dir>/torch.
Usage: python3 parity.py DIR
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from flow import open_check  # noqa: E402
from tensors import write_folder  # noqa: E402


def main(folder):
    arrays, extra, params, model = open_check(folder, "config")
    x = torch.tensor(arrays["x"], dtype=torch.float64)
    logp = model.log_prob(x)
    loss = model.bpd(logp).mean()
    loss.backward()
    out = {"torch:logp": logp.detach().numpy(), "torch:loss": loss.detach().reshape(1).numpy()}
    for name, p in params.items():
        out[f"torch:grad:{name}"] = p.grad.numpy() if p.grad is not None else torch.zeros_like(p).numpy()
    write_folder(os.path.join(folder, "torch"), out, {"torch": torch.__version__})


if __name__ == "__main__":
    main(sys.argv[1])
