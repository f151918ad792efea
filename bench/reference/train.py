"""
The PyTorch side of `npm run bench -- --reference`: trains the reference flow (flow.py) from the
engine's initial weights (a tensor folder written by compare.ts: `param:*` arrays, the model and
train configs) on Fashion-MNIST, and prints one JSON line: the time of every step, and the test
bpd of the first --eval-n test images after the last step (when --eval-n > 0).

Same as the engine's loop (train/trainer.ts): batches drawn from a seeded permutation per
epoch, incomplete last batch dropped, uniform dequantisation per step, lr from the schedule with
its warm-up, Adamax as the engine writes it. By default the random streams are numpy's and
torch's, not the engine's. With --stream the folder also holds the engine's dequantised inputs
(`x:<step>` trained on, `eval:<i>` evaluated on; engineTrain.ts, record) and those are used
instead, in float32: then the two sides see the same data step for step (README.md, "Where the
two differ").

Usage: python3 train.py DIR --batch B --steps N [--eval-n E] [--seed S] [--threads T] [--stream]
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


def own_test_inputs(images, n, seed, bits):
    """The first n test images in batches of 100, dequantised from torch's generator."""
    gen = torch.Generator().manual_seed(seed)
    for start in range(0, n, 100):
        yield dequantize(torch.tensor(images[start : min(n, start + 100)], dtype=torch.float32), bits, gen)


def recorded(arrays, prefix):
    """The engine's recorded inputs `prefix:0`, `prefix:1`, ... in order, as float32 tensors."""
    i = 0
    while f"{prefix}:{i}" in arrays:
        yield torch.tensor(arrays[f"{prefix}:{i}"], dtype=torch.float32)
        i += 1


@torch.no_grad()
def evaluate(model, inputs):
    total, count = 0.0, 0
    for x in inputs:
        total += model.bpd(model.log_prob(x)).sum().item()
        count += x.shape[0]
    return total / count


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dir")
    parser.add_argument("--batch", type=int, required=True)
    parser.add_argument("--steps", type=int, required=True)
    parser.add_argument("--eval-n", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--stream", action="store_true", help="train and evaluate on the engine's recorded inputs in DIR")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    arrays, extra = read_folder(args.dir)
    params = params_from(arrays, None)
    model = Flow(extra["model"], params)
    train = extra["train"]
    opt = Adamax(list(params.values()), train["adamax"]["beta1"], train["adamax"]["beta2"], train["adamax"]["epsilon"])
    if args.stream:
        stream = recorded(arrays, "x")
    else:
        gen = torch.Generator().manual_seed(args.seed)
        stream = (dequantize(torch.tensor(k, dtype=torch.float32), model.bits, gen) for k in batches(read_images("train-images-idx3-ubyte.gz"), args.batch, args.seed))
    step_seconds, losses = [], []
    for step in range(args.steps):
        started = time.perf_counter()
        x = next(stream, None)
        if x is None:
            raise ValueError(f"{args.dir}: no recorded input x:{step}")
        if x.shape[0] != args.batch:
            raise ValueError(f"x:{step} has {x.shape[0]} images, not --batch {args.batch}")
        losses.append(train_step(model, params, opt, x, learning_rate_at(step, train["learningRate"])))
        step_seconds.append(time.perf_counter() - started)
    out = {"torch": torch.__version__, "threads": torch.get_num_threads(), "batch": args.batch, "stepSeconds": step_seconds, "lastLoss": losses[-1] if losses else None, "stream": "recorded" if args.stream else "own"}
    if args.stream:
        out["losses"] = losses  # step for step against the engine's
    if args.eval_n > 0:
        if args.stream:
            inputs = list(recorded(arrays, "eval"))
            if sum(x.shape[0] for x in inputs) != args.eval_n:
                raise ValueError(f"{args.dir}: the recorded eval:* inputs are not --eval-n {args.eval_n} images")
        else:
            inputs = own_test_inputs(read_images("t10k-images-idx3-ubyte.gz"), args.eval_n, args.seed + 1, model.bits)
        out["testBpd"] = evaluate(model, inputs)
        out["evalInputs"] = "recorded" if args.stream else "own"
    print(json.dumps(out))


if __name__ == "__main__":
    main()
