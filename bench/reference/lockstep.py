"""
Lockstep training check: the engine's initial weights and the exact batches it trained on
(written by lockstep.ts), trained again here in float64 with the same Adamax and lr schedule;
writes the loss of every step and the final weights to <dir>/torch. Usage: python3 lockstep.py DIR
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from flow import Adamax, Flow, learning_rate_at  # noqa: E402
from tensors import read_folder, write_folder  # noqa: E402


def main(folder):
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    arrays, extra = read_folder(folder)
    params = {k[len("param:") :]: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in arrays.items() if k.startswith("param:")}
    model = Flow(extra["model"], params)
    train = extra["train"]
    opt = Adamax(list(params.values()), train["adamax"]["beta1"], train["adamax"]["beta2"], train["adamax"]["epsilon"])
    losses = []
    for step in range(extra["steps"]):
        x = torch.tensor(arrays[f"x:{step}"], dtype=torch.float64)
        for p in params.values():
            p.grad = None
        loss = model.bpd(model.log_prob(x)).mean()
        loss.backward()
        opt.step(learning_rate_at(step, train["learningRate"]))
        losses.append(loss.item())
    out = {"losses": losses}
    out.update({f"final:{k}": p.detach().numpy() for k, p in params.items()})
    write_folder(os.path.join(folder, "torch"), out)


if __name__ == "__main__":
    main(sys.argv[1])
