"""
The FlowStudio multi-scale flow (src-main/engine/flow/) written again in PyTorch: a reference
for benchmarks and a parity test, not part of the product. Every formula follows the engine's
file named beside it; README.md lists where the two differ.

Layout: NHWC like the engine (pixels are row vectors, y = x·W), so weights exported from the
engine load unchanged; only the 3×3 convolutions of the coupling networks are permuted to
torch's NCHW / OIHW for F.conv2d.

Parameters are keyed by the engine's logical names (`L1.B2.conv/lu`, `L1.B2.aff/s1t1.conv1.w`,
`L1.B2.act/theta_x`, ...): `FlowModel.parameterNames`.
"""
import math
import os

import torch
import torch.nn.functional as F

LOG_2PI = math.log(2 * math.pi)
W_MIN = 1e-3  # rqBins.ts
MAX_CONSTRAINED_SLOPE = 1 - 2 ** -20  # rqMath.ts
DISC_FLOOR = 1e-30  # rqActivation.ts


def plan_model(config):
    """shapes.ts: per block (level, block, kernel, channels in, channels out), keep channels per level."""
    h, w, c = config["inputShape"]
    levels = []
    for level in range(config["levels"]):
        blocks = []
        for block in range(config["blocksPerLevel"]):
            k = config["firstConvKernel"] if block == 0 else config["convKernel"]
            c_in = c
            h, w, c = h // k, w // k, c * k * k
            blocks.append({"name": f"L{level + 1}.B{block + 1}", "kernel": k, "in": c_in, "channels": c})
        last = level == config["levels"] - 1
        out = c if last else int(c * config["splitFraction"])
        levels.append({"blocks": blocks, "keep": c - out})
        c = c - out
    return levels


def squeeze(x, k):
    """ops/squeeze.ts: [N, H, W, C] → [N, H/k, W/k, k²C], channel (a·k + b)·C + c."""
    if k == 1:
        return x
    n, h, w, c = x.shape
    rows = x.reshape(n * (h // k), k, w // k, k * c)
    return rows.permute(0, 2, 1, 3).reshape(n, h // k, w // k, k * k * c)


def conv_nhwc(x, weight, bias):
    """ops/conv2d.ts: 'same' stride-1 convolution, filter [k, k, Cin, Cout] (HWIO)."""
    k = weight.shape[0]
    if k == 1:
        return x @ weight[0, 0] + bias
    y = F.conv2d(x.permute(0, 3, 1, 2), weight.permute(3, 2, 0, 1), padding=(k - 1) // 2)
    return y.permute(0, 2, 3, 1) + bias


def mexican_hat(phi):
    """mexicanHat.ts: g(φ) = (1 − φ²)·exp(−φ²/2)."""
    p2 = phi * phi
    return (1 - p2) * torch.exp(-0.5 * p2)


class Flow:
    def __init__(self, config, params):
        arch = config.get("architecture", {"kind": "paper"})["kind"]
        if arch != "paper":
            raise ValueError(f"reference flow: only the paper's architecture is written, got {arch}")
        net = config["coupling"]["network"]
        if net != "convnet":
            raise ValueError(f"reference flow: only the convnet coupling (fashion-mnist-small) is written, got {net}")
        if config["ablation"]["afterCoupling"] != "none" or config["ablation"]["unconstrained"] or config["ablation"]["transportCost"] != 0:
            raise ValueError("reference flow: the Sec. 6.2 ablations are not written")
        if config.get("convWeight", "lu") != "lu":
            raise ValueError("reference flow: only the LU convolution weight is written")
        self.config = config
        self.params = params
        self.levels = plan_model(config)
        self.mixtures = config["coupling"]["mixtures"]
        act = config["activation"]
        self.bins = act["bins"]
        self.variant = act["variant"]
        self.tail_bound = act["tailBound"]
        self.tail_slope = min(config["beta"], MAX_CONSTRAINED_SLOPE)
        self.dims = config["inputShape"][0] * config["inputShape"][1] * config["inputShape"][2]
        self.bits = config["bits"]

    # f_conv: layers/invConv.ts
    def conv(self, name, x, k):
        lu = self.params[f"{name}.conv/lu"]
        log_scale = self.params[f"{name}.conv/logScale"]
        n = lu.shape[0]
        eye = torch.eye(n, dtype=lu.dtype)
        lower = torch.tril(lu, -1) + eye
        upper = torch.triu(lu, 1) + torch.diag(torch.exp(log_scale))
        weight = lower @ upper
        sq = squeeze(x, k)
        y = sq @ weight
        pixels = sq.shape[1] * sq.shape[2]
        return y, (log_scale.sum() * pixels).expand(x.shape[0])

    # CouplingNet (layers/couplingNets.ts), convnet: 3×3 → ReLU → 1×1 → ReLU → 3×3 head
    def net(self, prefix, x, r):
        p = self.params
        h = torch.relu(conv_nhwc(x, p[f"{prefix}conv1.w"], p[f"{prefix}conv1.b"]))
        h = torch.relu(conv_nhwc(h, p[f"{prefix}conv2.w"], p[f"{prefix}conv2.b"]))
        out = conv_nhwc(h, p[f"{prefix}out.w"], p[f"{prefix}out.b"])
        m = self.mixtures
        phi, shift = out[..., : m * r], out[..., m * r :]
        components = phi.reshape(*phi.shape[:-1], m, r)  # channel m·r + j: component m of dim j
        return mexican_hat(components).mean(-2), shift

    # f_aff: layers/coupling.ts (Eq. 14)
    def coupling(self, name, x):
        c = x.shape[-1]
        r = c // 2
        x1, x2 = x[..., :r], x[..., r:]
        ls1, t1 = self.net(f"{name}.aff/s1t1.", x2, r)
        y1 = x1 * torch.exp(ls1) + t1
        ls2, t2 = self.net(f"{name}.aff/s2t2.", y1, c - r)
        y2 = x2 * torch.exp(ls2) + t2
        logdet = ls1.flatten(1).sum(1) + ls2.flatten(1).sum(1)
        return torch.cat([y1, y2], -1), logdet

    # knotParameters and buildBinTable: layers/rqBins.ts
    def bin_table(self, name):
        p = self.params
        theta_x, theta_y, theta_a = p[f"{name}.act/theta_x"], p[f"{name}.act/theta_y"], p[f"{name}.act/theta_a"]
        log_w = p[f"{name}.act/log_w"]
        C, I = theta_x.shape
        T, beta = self.tail_bound, self.tail_slope
        w = torch.exp(torch.clamp(log_w, math.log(W_MIN), math.log(T / 4))).reshape(C, 1)
        bx = torch.softmax(theta_x, 1)
        slope = torch.sigmoid(theta_y)
        zero = torch.zeros(C, 1, dtype=bx.dtype)
        cx = torch.cat([zero, torch.cumsum(bx, 1)], 1)
        xk = (cx * 2 - 1) * w
        by = torch.cat([zero, torch.cumsum(slope * bx, 1)], 1)
        yk = (by * 2 - by[:, I : I + 1]) * w
        if self.variant == "paper":
            alpha = torch.sigmoid(theta_a)
        else:
            tail = torch.full((C, 1), beta, dtype=bx.dtype)
            padded = torch.cat([tail, slope, tail], 1)
            adjacent = torch.maximum(padded[:, : I + 1], padded[:, 1 : I + 2])
            floor = adjacent * (adjacent + 1) * 0.5
            alpha = floor + (1 - floor) * torch.sigmoid(theta_a)
        full = lambda v: torch.full((C, 1), v, dtype=bx.dtype)  # noqa: E731
        x0, xI, y0, yI = xk[:, :1], xk[:, I:], yk[:, :1], yk[:, I:]
        dx_in = xk[:, 1:] - xk[:, :-1]
        dy_in = yk[:, 1:] - yk[:, :-1]
        dx_left, dx_right = x0 + T, T - xI
        alpha_all = torch.cat([full(beta), alpha, full(beta)], 1)  # [C, I+3]
        left, right = alpha_all[:, : I + 2], alpha_all[:, 1:]
        bin_slope = torch.cat([full(beta), slope, full(beta)], 1)
        alpha_near = torch.cat([right[:, :1], left[:, 1:]], 1)
        alpha_far = torch.cat([left[:, :1], right[:, 1:]], 1)
        rows = {
            "anchorX": torch.cat([x0, xk[:, :I], xI], 1),
            "dx": torch.cat([dx_left, dx_in, dx_right], 1),
            "anchorY": torch.cat([y0, yk[:, :I], yI], 1),
            "dy": torch.cat([dx_left * beta, dy_in, dx_right * beta], 1),
            "slope": bin_slope,
            "alphaNear": alpha_near,
            "alphaFar": alpha_far,
            "rho": alpha_near + alpha_far - 2 * bin_slope,
            "sign": torch.cat([full(-1.0), torch.ones(C, I + 1, dtype=bx.dtype)], 1),
        }
        rows["logSlope"] = torch.log(bin_slope)
        return rows, xk

    # f_act: layers/rqActivation.ts (elementwise) and rqBins.ts (logDerivativeAt)
    def activation(self, name, x):
        C = x.shape[-1]
        rows, xk = self.bin_table(name)
        xt = x.reshape(-1, C).t().contiguous()  # [C, N]
        index = torch.searchsorted(xk.detach().contiguous(), xt.detach(), right=True)  # knots ≤ value
        p = {key: torch.gather(row, 1, index) for key, row in rows.items()}
        u = p["sign"] * (xt - p["anchorX"])
        xi = torch.clamp(u / p["dx"], 0, 1)
        overshoot = torch.relu(u - p["dx"])
        t = xi * (1 - xi)
        den = p["slope"] + p["rho"] * t
        num = p["slope"] * xi * xi + p["alphaNear"] * t
        along = p["dy"] * num / den + overshoot * self.tail_slope
        yt = p["anchorY"] + p["sign"] * along
        gamma = p["alphaFar"] * xi * xi + 2 * p["slope"] * t + p["alphaNear"] * (1 - xi) ** 2
        logd = 2 * p["logSlope"] + torch.log(gamma / (den * den))
        n = x.shape[0]
        return yt.t().reshape(x.shape), logd.t().reshape(n, -1).sum(1)

    def forward(self, x):
        """x [N, H, W, C] in the model's input range → latents (level 1 first), log|det J| [N]."""
        h, logdet, latents = x, torch.zeros(x.shape[0], dtype=x.dtype), []
        for level in self.levels:
            for b in level["blocks"]:
                h, ld_conv = self.conv(b["name"], h, b["kernel"])
                h, ld_aff = self.coupling(b["name"], h)
                h, ld_act = self.activation(b["name"], h)
                logdet = logdet + ld_conv + ld_aff + ld_act
            if level["keep"] > 0:
                latents.append(h[..., level["keep"] :])
                h = h[..., : level["keep"]]
            else:
                latents.append(h)
        return latents, logdet

    def log_prob(self, x):
        """flow/prior.ts: Σ_levels log N(z; 0, I) + log|det J|, nats per example."""
        latents, logdet = self.forward(x)
        prior = sum(-0.5 * (z.flatten(1) ** 2).sum(1) - 0.5 * z[0].numel() * LOG_2PI for z in latents)
        return prior + logdet

    def bpd(self, log_prob):
        """flow/units.ts: bits per dimension of the n-bit data."""
        return (-log_prob + self.dims * self.bits * math.log(2)) / (self.dims * math.log(2))


def dequantize(k, bits, generator):
    """flow/units.ts: x = (k + u)/2ⁿ − ½, u ~ U[0, 1)."""
    u = torch.rand(k.shape, generator=generator, dtype=torch.float32)
    return (k + u) / 2 ** bits - 0.5


def learning_rate_at(step, schedule):
    """train/schedule.ts."""
    decayed = schedule["initial"] * schedule["decayRate"] ** (step / schedule["decaySteps"])
    warm = schedule.get("warmupSteps", 0)
    warmup = min(1, (step + 1) / warm) if warm > 0 else 1
    return max(schedule["final"], decayed) * warmup


class Adamax:
    """train/adamax.ts: m ← β1m + (1−β1)g, u ← max(β2u, |g|), θ ← θ − lr/(1−β1ᵗ)·m/(u + ε).
    (torch.optim.Adamax adds ε inside the max instead: max(β2u, |g| + ε).)"""

    def __init__(self, params, beta1, beta2, epsilon):
        self.params, self.b1, self.b2, self.eps = params, beta1, beta2, epsilon
        self.m = [torch.zeros_like(p) for p in params]
        self.u = [torch.zeros_like(p) for p in params]
        self.t = 0

    @torch.no_grad()
    def step(self, lr):
        self.t += 1
        step_size = lr / (1 - self.b1 ** self.t)
        for p, m, u in zip(self.params, self.m, self.u):
            g = p.grad
            m.mul_(self.b1).add_(g, alpha=1 - self.b1)
            torch.maximum(u * self.b2, g.abs(), out=u)
            p.sub_(m / (u + self.eps) * step_size)


def train_step(model, params, opt, x, lr):
    """One optimisation step on the batch x, as train/step.ts: mean bpd, its gradient, Adamax. Returns the loss."""
    for p in params.values():
        p.grad = None
    loss = model.bpd(model.log_prob(x)).mean()
    loss.backward()
    opt.step(lr)
    return loss.item()


def open_check(folder, config_key):
    """A check's tensor folder (parity.ts, lockstep.ts) in float64 on every core: its arrays,
    extra fields, the engine's parameters and the flow built on them from extra[config_key]."""
    from tensors import params_from, read_folder

    torch.set_num_threads(max(1, os.cpu_count() or 1))
    arrays, extra = read_folder(folder)
    params = params_from(arrays, torch.float64)
    return arrays, extra, params, Flow(extra[config_key], params)
