"""
Lockstep training check: the engine's initial weights and the exact batches it trained on
(written by lockstep.ts), trained again here in float64 with the same Adamax and lr schedule;
writes the loss of every step and the final weights to <dir>/torch. Usage: python3 lockstep.py DIR
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from flow import Adamax, learning_rate_at, open_check, train_step  # noqa: E402
from tensors import write_folder  # noqa: E402


def main(folder):
    arrays, extra, params, model = open_check(folder, "model")
    train = extra["train"]
    opt = Adamax(list(params.values()), train["adamax"]["beta1"], train["adamax"]["beta2"], train["adamax"]["epsilon"])
    losses = []
    for step in range(extra["steps"]):
        x = torch.tensor(arrays[f"x:{step}"], dtype=torch.float64)
        losses.append(train_step(model, params, opt, x, learning_rate_at(step, train["learningRate"])))
    out = {"losses": losses}
    out.update({f"final:{k}": p.detach().numpy() for k, p in params.items()})
    write_folder(os.path.join(folder, "torch"), out)


if __name__ == "__main__":
    main(sys.argv[1])
