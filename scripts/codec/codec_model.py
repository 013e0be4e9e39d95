"""Float model of the fxpnet learned image codec (Balle-2018-style mean-scale hyperprior).

Shared by train.py, export.py and eval_float.py. Everything in the four transforms
(g_a, g_s, h_a, h_s) is Conv / ConvTranspose / Clip / Relu / Concat only, so the
exported graphs are expressible in fxpnet's IR (no GDN, no exp/log/abs).

  act       = Clip(0, CLIP)  (clipped ReLU, "activation range pre-processing")
  g_a       : Conv5x5/2 3->N, act, Conv5x5/2 N->N, act, Conv5x5/2 N->N, act, Conv5x5/2 N->M
  g_s       : ConvT5x5/2 M->N, act, ConvT5x5/2 N->N, act, ConvT5x5/2 N->N, act, ConvT5x5/2 N->3
  h_a       : Conv3x3/1 M->N, act, Conv5x5/2 N->N, act, Conv5x5/2 N->N
  h_s       : ConvT5x5/2 N->N, act, ConvT5x5/2 N->3N/2, act,
              [Conv3x3/1 3N/2->M (means), Relu(Conv3x3/1 3N/2->M) (scales)] -> Concat
              = "params" [1, 2M, H/16, W/16]: channels [0,M) means, [M,2M) ReLU'd scales.
  (ConvTranspose: padding 2, output_padding 1, i.e. exact x2 upsampling.)

Entropy models (training / rate estimation only, not exported as graphs):
  y : Gaussian conditional, sigma = max(scale, 0.11), likelihood
      Phi((v+0.5)/sigma) - Phi((v-0.5)/sigma) with v = y_tilde - mu, lower bound 1e-9.
      Test-time quantization: y_hat = round(y - mu) + mu.
  z : Balle's factorized density model (CompressAI "EntropyBottleneck", filters
      (3,3,3), init_scale 10), re-implemented here. Test-time quantization:
      z_hat = round(z) (no median offset).
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

SCALE_LOWER_BOUND = 0.11
# Set True by export.py: SubPixelConvTranspose2d then runs as a plain ConvTranspose2d so the
# ONNX graphs contain ConvTranspose nodes.
EXPORT_MODE = False
LIKELIHOOD_LOWER_BOUND = 1e-9


class _LowerBoundFn(torch.autograd.Function):
    """max(x, bound) whose gradient also passes where it would push x upward
    (CompressAI's LowerBound), so units below the bound are not dead."""

    @staticmethod
    def forward(ctx, x, bound):
        ctx.save_for_backward(x)
        ctx.bound = bound
        return torch.clamp(x, min=bound)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        pass_through = (x >= ctx.bound) | (grad < 0)
        return pass_through.type_as(grad) * grad, None


def lower_bound(x, bound):
    return _LowerBoundFn.apply(x, bound)


class ClipAct(nn.Module):
    """Clipped ReLU: clamp(x, 0, c). torch.clamp exports as ONNX Clip(min=0, max=c)."""

    def __init__(self, c):
        super().__init__()
        self.c = float(c)

    def forward(self, x):
        return torch.clamp(x, 0.0, self.c)

    def extra_repr(self):
        return 'c=%g' % self.c


def conv(cin, cout, k=5, s=2):
    return nn.Conv2d(cin, cout, k, stride=s, padding=k // 2)


class SubPixelConvTranspose2d(nn.ConvTranspose2d):
    """nn.ConvTranspose2d(k=5, s=2, p=2, output_padding=1), computed (outside ONNX export) as
    the mathematically identical sub-pixel form: a 3x3 stride-1 Conv2d with 4*Cout outputs
    whose weights are gathered from the transposed-conv kernel, then PixelShuffle(2).
    Debian's torch uses reference BLAS, and its ConvTranspose2d path is ~9x slower than
    the MKL-DNN Conv2d path. Parameters / state_dict / ONNX export are those of a plain
    ConvTranspose2d (the export uses the ordinary forward)."""

    _IDX = torch.tensor([[4, 2, 0], [5, 3, 1]])  # [phase][tap] -> kernel index (5 = zero)

    def forward(self, x, output_size=None):
        if EXPORT_MODE or torch.onnx.is_in_onnx_export() or output_size is not None:
            return super().forward(x, output_size)
        w = F.pad(self.weight, (0, 1, 0, 1))  # [Cin, Cout, 6, 6]
        idx = self._IDX
        ks = [w[:, :, idx[rh]][:, :, :, idx[rw]] for rh in range(2) for rw in range(2)]
        cin, cout = self.weight.shape[0], self.weight.shape[1]
        k = torch.stack(ks, dim=2).reshape(cin, cout * 4, 3, 3).transpose(0, 1).contiguous()
        b = self.bias.repeat_interleave(4) if self.bias is not None else None
        return F.pixel_shuffle(F.conv2d(x, k, b, padding=1), 2)


def deconv(cin, cout, k=5, s=2):
    assert k == 5 and s == 2
    return SubPixelConvTranspose2d(cin, cout, k, stride=s, padding=k // 2, output_padding=s - 1)


class HyperSynthesis(nn.Module):
    def __init__(self, N, M, clip):
        super().__init__()
        H = N * 3 // 2
        self.body = nn.Sequential(deconv(N, N), ClipAct(clip), deconv(N, H), ClipAct(clip))
        self.mean = conv(H, M, 3, 1)
        self.scale = conv(H, M, 3, 1)
        self.M = M

    def forward(self, z_hat, training_split=False):
        h = self.body(z_hat)
        mu = self.mean(h)
        raw = self.scale(h)
        if training_split:
            # Training path: sigma = max(raw, 0.11) == max(relu(raw), 0.11) in the
            # forward pass; the LowerBound gradient keeps negative units alive.
            return mu, raw
        return torch.cat([mu, torch.relu(raw)], dim=1)


class EntropyBottleneck(nn.Module):
    """Balle et al. 2018 factorized density model, one small monotone MLP per channel
    giving the cumulative logit c(x) with CDF(x) = sigmoid(c(x))."""

    def __init__(self, channels, filters=(3, 3, 3), init_scale=10.0, tail_mass=1e-9):
        super().__init__()
        self.channels = channels
        self.filters = tuple(filters)
        self.tail_mass = float(tail_mass)
        fs = (1,) + self.filters + (1,)
        scale = init_scale ** (1.0 / (len(self.filters) + 1))
        self.matrices = nn.ParameterList()
        self.biases = nn.ParameterList()
        self.factors = nn.ParameterList()
        for i in range(len(self.filters) + 1):
            init = math.log(math.expm1(1.0 / scale / fs[i + 1]))
            self.matrices.append(nn.Parameter(torch.full((channels, fs[i + 1], fs[i]), init)))
            self.biases.append(nn.Parameter(torch.empty(channels, fs[i + 1], 1).uniform_(-0.5, 0.5)))
            if i < len(self.filters):
                self.factors.append(nn.Parameter(torch.zeros(channels, fs[i + 1], 1)))
        q = torch.tensor([-init_scale, 0.0, init_scale])
        self.quantiles = nn.Parameter(q.repeat(channels, 1, 1))  # [C,1,3]
        t = math.log(2.0 / self.tail_mass - 1.0)
        self.register_buffer('target', torch.tensor([-t, 0.0, t]))

    def logits_cumulative(self, inputs, stop_gradient=False):
        """inputs [C,1,K] -> cumulative logits [C,1,K]."""
        logits = inputs
        for i in range(len(self.filters) + 1):
            m = self.matrices[i]
            b = self.biases[i]
            if stop_gradient:
                m = m.detach()
                b = b.detach()
            logits = torch.matmul(F.softplus(m), logits) + b
            if i < len(self.filters):
                f = self.factors[i]
                if stop_gradient:
                    f = f.detach()
                logits = logits + torch.tanh(f) * torch.tanh(logits)
        return logits

    def aux_loss(self):
        logits = self.logits_cumulative(self.quantiles, stop_gradient=True)
        return torch.abs(logits - self.target).sum()

    def pmf_at(self, v):
        """v [C,1,K] (symbol values) -> P(v-0.5 < x < v+0.5) per element."""
        lower = self.logits_cumulative(v - 0.5)
        upper = self.logits_cumulative(v + 0.5)
        sign = -torch.sign(lower + upper).detach()
        return torch.abs(torch.sigmoid(sign * upper) - torch.sigmoid(sign * lower))

    def likelihood(self, z):
        """z [B,C,H,W] (noisy or rounded) -> likelihoods [B,C,H,W]."""
        B, C, H, W = z.shape
        v = z.permute(1, 0, 2, 3).reshape(C, 1, -1)
        lik = self.pmf_at(v)
        lik = lik.reshape(C, B, H, W).permute(1, 0, 2, 3)
        return lower_bound(lik, LIKELIHOOD_LOWER_BOUND)


def gaussian_likelihood(y, mu, raw_scale):
    sigma = lower_bound(raw_scale, SCALE_LOWER_BOUND)
    v = torch.abs(y - mu)
    c = -(2 ** -0.5)
    upper = 0.5 * torch.erfc(c * (0.5 - v) / sigma)
    lower = 0.5 * torch.erfc(c * (-0.5 - v) / sigma)
    return lower_bound(upper - lower, LIKELIHOOD_LOWER_BOUND)


class Codec(nn.Module):
    def __init__(self, N=64, M=128, clip=4.0):
        super().__init__()
        self.N, self.M, self.clip = N, M, float(clip)
        a = lambda: ClipAct(clip)
        self.g_a = nn.Sequential(conv(3, N), a(), conv(N, N), a(), conv(N, N), a(), conv(N, M))
        self.g_s = nn.Sequential(deconv(M, N), a(), deconv(N, N), a(), deconv(N, N), a(), deconv(N, 3))
        self.h_a = nn.Sequential(conv(M, N, 3, 1), a(), conv(N, N), a(), conv(N, N))
        self.h_s = HyperSynthesis(N, M, clip)
        self.entropy_bottleneck = EntropyBottleneck(N)

    def config(self):
        return {'N': self.N, 'M': self.M, 'clip': self.clip}

    def main_parameters(self):
        return [p for n, p in self.named_parameters() if not n.endswith('quantiles')]

    def aux_parameters(self):
        return [p for n, p in self.named_parameters() if n.endswith('quantiles')]

    def forward(self, x, noise=True, ste=False, amp=False):
        """Returns dict(x_hat, y_lik, z_lik). noise=True: additive U(-0.5,0.5) on y and z
        (training); noise=False: test-time quantization z_hat = round(z),
        y_hat = round(y - mu) + mu.
        ste=True (training only): the rate still sees the noisy y, but the synthesis gets the
        test-time y_hat = round(y - mu) + mu with a straight-through gradient (Minnen & Singh
        2020), so g_s trains on what the decoder will get.
        amp=True: the four transforms run under bfloat16 autocast (their outputs are cast back
        to float32); the likelihoods are always float32."""
        def run(f, v):
            if not amp:
                return f(v)
            with torch.autocast(device_type=v.device.type, dtype=torch.bfloat16):
                return f(v).float()

        y = run(self.g_a, x)
        z = run(self.h_a, y)
        if noise:
            z_t = z + torch.empty_like(z).uniform_(-0.5, 0.5)
        else:
            z_t = torch.round(z)
        z_lik = self.entropy_bottleneck.likelihood(z_t)
        if amp:
            with torch.autocast(device_type=z_t.device.type, dtype=torch.bfloat16):
                mu, raw = self.h_s(z_t, training_split=True)
            mu, raw = mu.float(), raw.float()
        else:
            mu, raw = self.h_s(z_t, training_split=True)
        if noise:
            y_t = y + torch.empty_like(y).uniform_(-0.5, 0.5)
        else:
            y_t = torch.round(y - mu) + mu
        y_lik = gaussian_likelihood(y_t, mu, raw)
        if noise and ste:
            y_syn = y + (torch.round(y - mu) + mu - y).detach()
        else:
            y_syn = y_t
        x_hat = run(self.g_s, y_syn)
        return {'x_hat': x_hat, 'y_lik': y_lik, 'z_lik': z_lik}


def rd_terms(out, x, lmbda):
    """loss = lambda * 255^2 * MSE + bpp. Returns (loss, bpp, mse)."""
    B, _, H, W = x.shape
    npix = B * H * W
    bpp = (torch.log(out['y_lik']).sum() + torch.log(out['z_lik']).sum()) / (-math.log(2) * npix)
    mse = F.mse_loss(out['x_hat'], x)
    return lmbda * 255 ** 2 * mse + bpp, bpp, mse


def load_checkpoint(path, map_location='cpu'):
    ck = torch.load(path, map_location=map_location)
    cfg = ck['config']
    model = Codec(cfg['N'], cfg['M'], cfg['clip'])
    model.load_state_dict(ck['model'])
    return model, ck
