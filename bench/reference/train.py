"""
The PyTorch side of `npm run bench -- --reference`: trains the reference flow (flow.py) from the
engine's initial weights (a tensor folder written by compare.ts: `param:*` arrays, the model and
train configs) on Fashion-MNIST, and prints one JSON line: the time of every step, and the test
bpd of the first --eval-n test images after the last step (when --eval-n > 0).

Same as the engine's loop (train/trainer.ts): batches drawn from a seeded permutation per
epoch, incomplete last batch dropped, uniform dequantisation per step, lr from the schedule with
its warm-up, Adamax as the engine writes it. The random streams are numpy's and torch's, not the
engine's (README.md, "Where the two differ").

Usage: python3 train.py DIR --batch B --steps N [--eval-n E] [--seed S] [--threads T]
"""
import argparse
import gzip
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from flow import Adamax, Flow, dequantize, learning_rate_at, train_step  # noqa: E402
from tensors import params_from, read_folder  # noqa: E402

DATA = "/usr/share/datasets/fashion-mnist"


def read_images(name):
    with gzip.open(os.path.join(DATA, name), "rb") as f:
        raw = f.read()
    magic, n, h, w = np.frombuffer(raw[:16], dtype=">i4")
    if magic != 2051:
        raise ValueError(f"{name}: not an IDX image file (magic {magic})")
    return np.frombuffer(raw[16:], dtype=np.uint8).reshape(n, h, w, 1)


def batches(images, batch, seed):
    """Endless batches: a fresh permutation per epoch, last incomplete batch dropped."""
    epoch = 0
    while True:
        order = np.random.default_rng([seed, epoch]).permutation(len(images))
        for start in range(0, len(order) - batch + 1, batch):
            yield images[order[start : start + batch]]
        epoch += 1


@torch.no_grad()
def evaluate(model, images, n, seed, bits):
    gen = torch.Generator().manual_seed(seed)
    total, count = 0.0, 0
    for start in range(0, n, 100):
        k = torch.tensor(images[start : min(n, start + 100)], dtype=torch.float32)
        total += model.bpd(model.log_prob(dequantize(k, bits, gen))).sum().item()
        count += k.shape[0]
    return total / count


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dir")
    parser.add_argument("--batch", type=int, required=True)
    parser.add_argument("--steps", type=int, required=True)
    parser.add_argument("--eval-n", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    arrays, extra = read_folder(args.dir)
    params = params_from(arrays, None)
    model = Flow(extra["model"], params)
    train = extra["train"]
    opt = Adamax(list(params.values()), train["adamax"]["beta1"], train["adamax"]["beta2"], train["adamax"]["epsilon"])
    images = read_images("train-images-idx3-ubyte.gz")
    gen = torch.Generator().manual_seed(args.seed)
    stream = batches(images, args.batch, args.seed)
    step_seconds, losses = [], []
    for step in range(args.steps):
        started = time.perf_counter()
        x = dequantize(torch.tensor(next(stream), dtype=torch.float32), model.bits, gen)
        losses.append(train_step(model, params, opt, x, learning_rate_at(step, train["learningRate"])))
        step_seconds.append(time.perf_counter() - started)
    out = {"torch": torch.__version__, "threads": torch.get_num_threads(), "batch": args.batch, "stepSeconds": step_seconds, "lastLoss": losses[-1] if losses else None}
    if args.eval_n > 0:
        out["testBpd"] = evaluate(model, read_images("t10k-images-idx3-ubyte.gz"), args.eval_n, args.seed + 1, model.bits)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
