#!/usr/bin/python3
"""Export a trained float codec checkpoint (scripts/codec/train.py) to the fxpnet contract.

  /usr/bin/python3 scripts/codec/export.py --ckpt /work/codec-ckpt/q1.pt --quality 1

writes models/codec/q{Q}/:
  analysis.onnx         "x"     [1,3,H,W] float RGB in [0,1]  -> "y"      [1,M,H/16,W/16]
  synthesis.onnx        "y_hat" [1,M,H/16,W/16]               -> "x_hat"  [1,3,H,W] (unclamped)
  hyper_analysis.onnx   "y"     [1,M,H/16,W/16]               -> "z"      [1,N,H/64,W/64]
  hyper_synthesis.onnx  "z_hat" [1,N,H/64,W/64]               -> "params" [1,2M,H/16,W/16]
                        channels [0,M) = means mu, [M,2M) = scales, already ReLU'd in-graph
                        (the decoder uses sigma = max(scale, 0.11)).
  prior.json            factorized prior of z as integer tables (see below)
  meta.json             training / evaluation facts
All graphs: opset 13, dynamic H/W (multiples of 64), constant-folded, eval mode; ops
Conv, ConvTranspose, Clip(0, clip) (min/max as Constant inputs), Relu, Concat only.

prior.json, per channel c of z (z_hat = round(z), no median offset):
  offset = floor(lower quantile), length = ceil(upper quantile) - offset + 1, where the
  quantiles are the tail_mass=1e-9 quantiles of the learned CDF (CompressAI approach; here
  solved exactly by bisection at export time: "quantiles" = [lower, median, upper]; the
  aux-loss-trained estimates are kept as "quantiles_aux" for reference);
  pmf[i]  = P(symbol offset+i) = F(offset+i+0.5) - F(offset+i-0.5) (float64);
  tail    = F(offset-0.5) + 1 - F(offset+length-0.5) (mass outside the table);
  cdf     = 16-bit quantized CDF of [pmf..., tail]: length+2 entries, cdf[0]=0,
            cdf[-1]=65536, every symbol (and the final escape symbol) has frequency >= 1.
  Quantization as CompressAI's pmf_to_quantized_cdf: f_i = round(p_i * 2^16), rescale to
  the total 2^16 (floor), cumulative sum, last entry forced to 2^16; then each zero-frequency
  symbol steals one count from the symbol with the currently LARGEST frequency (CompressAI
  steals from the smallest frequency > 1; stealing from the largest costs less rate).
"""

import argparse
import json
import math
import os
import re
import sys

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import codec_model  # noqa: E402
from codec_model import SCALE_LOWER_BOUND, load_checkpoint  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LAMBDAS = {1: 0.0018, 2: 0.0035, 3: 0.0067, 4: 0.013, 5: 0.025}


def pmf_to_quantized_cdf(pmf, precision=16):
    total_target = 1 << precision
    freq = [int(round(p * total_target)) for p in pmf]
    total = sum(freq)
    if total == 0:
        freq = [1] * len(pmf)
        total = len(pmf)
    freq = [(total_target * f) // total for f in freq]
    cdf = [0]
    for f in freq:
        cdf.append(cdf[-1] + f)
    cdf[-1] = total_target
    n = len(cdf) - 1
    for i in range(n):
        if cdf[i] == cdf[i + 1]:
            best, best_j = -1, -1
            for j in range(n):
                f = cdf[j + 1] - cdf[j]
                if f > 1 and f > best:
                    best, best_j = f, j
            assert best_j >= 0, 'cannot fix zero frequency'
            if best_j < i:
                for j in range(best_j + 1, i + 1):
                    cdf[j] -= 1
            else:
                for j in range(i + 1, best_j + 1):
                    cdf[j] += 1
    assert cdf[0] == 0 and cdf[-1] == total_target
    assert all(cdf[k + 1] > cdf[k] for k in range(n))
    return cdf


def solve_quantiles(eb, iters=80):
    """Exact tail quantiles of the learned CDF, per channel: x with cumulative logit
    c(x) = -t, 0, +t, t = log(2/tail_mass - 1), by bisection (c is monotone increasing).
    Used instead of the aux-loss quantiles, which are not converged after a short training."""
    t = float(eb.target[2])
    C = eb.channels
    out = torch.zeros(C, 3, dtype=torch.float64)
    for k, target in enumerate((-t, 0.0, t)):
        lo = torch.full((C, 1, 1), -4096.0, dtype=torch.float64)
        hi = torch.full((C, 1, 1), 4096.0, dtype=torch.float64)
        for _ in range(iters):
            mid = 0.5 * (lo + hi)
            above = eb.logits_cumulative(mid) > target
            hi = torch.where(above, mid, hi)
            lo = torch.where(above, lo, mid)
        out[:, k] = (0.5 * (lo + hi))[:, 0, 0]
    return out


def build_prior(eb, precision=16):
    eb = eb.double()
    with torch.no_grad():
        q = solve_quantiles(eb)  # [C,3]
    q_aux = eb.quantiles.detach()[:, 0, :]
    channels = []
    with torch.no_grad():
        for c in range(eb.channels):
            lo = int(math.floor(q[c, 0].item()))
            hi = int(math.ceil(q[c, 2].item()))
            if hi < lo:
                lo, hi = hi, lo
            length = hi - lo + 1
            v = torch.arange(lo, hi + 1, dtype=torch.float64)
            # evaluate channel c only: feed [C,1,K] with the same values in every channel
            vv = v.view(1, 1, -1).repeat(eb.channels, 1, 1)
            pmf = eb.pmf_at(vv)[c, 0].numpy()
            lc_lo = eb.logits_cumulative(torch.full((eb.channels, 1, 1), lo - 0.5, dtype=torch.float64))[c, 0, 0]
            lc_hi = eb.logits_cumulative(torch.full((eb.channels, 1, 1), hi + 0.5, dtype=torch.float64))[c, 0, 0]
            tail = float(torch.sigmoid(lc_lo) + torch.sigmoid(-lc_hi))
            cdf = pmf_to_quantized_cdf(list(pmf) + [tail], precision)
            channels.append({
                'offset': lo, 'length': length,
                'pmf': [float(p) for p in pmf], 'tail': tail, 'cdf': cdf,
                'quantiles': [float(x) for x in q[c].tolist()],
                'quantiles_aux': [float(x) for x in q_aux[c].tolist()],
            })
    eb.float()
    return {'precision': precision, 'channels': eb.channels, 'z_quantization': 'z_hat = round(z)',
            'cdf_note': 'cdf has length+2 entries: symbols offset..offset+length-1, then one escape '
                        'symbol (values outside the table); cdf[0]=0, cdf[-1]=2^precision',
            'prior': channels}


class HS(nn.Module):
    def __init__(self, h_s):
        super().__init__()
        self.h_s = h_s

    def forward(self, z_hat):
        return self.h_s(z_hat)  # cat([means, relu(scales)], 1)


def export_onnx(module, in_name, out_name, in_ch, in_hw, path):
    module.eval()
    dummy = torch.rand(1, in_ch, in_hw, in_hw)
    torch.onnx.export(module, dummy, path, input_names=[in_name], output_names=[out_name],
                      dynamic_axes={in_name: {2: 'H', 3: 'W'}, out_name: {2: 'H_out', 3: 'W_out'}},
                      opset_version=13, do_constant_folding=True, export_params=True,
                      training=torch.onnx.TrainingMode.EVAL)
    graph = torch.onnx.export_to_pretty_string(
        module, dummy, input_names=[in_name], output_names=[out_name],
        dynamic_axes={in_name: {2: 'H', 3: 'W'}, out_name: {2: 'H_out', 3: 'W_out'}},
        opset_version=13, do_constant_folding=True)
    return sorted(set(re.findall(r'Node \{type: "(\w+)"', graph)))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--ckpt', required=True, help='checkpoint written by train.py')
    ap.add_argument('--quality', type=int, required=True, choices=sorted(LAMBDAS))
    ap.add_argument('--out', default=None, help='output directory (default models/codec/q{quality})')
    ap.add_argument('--schedule', default=None, help='free-text description of the training schedule for meta.json')
    args = ap.parse_args()
    torch.set_num_threads(2)
    out = args.out or os.path.join(REPO, 'models', 'codec', 'q%d' % args.quality)
    os.makedirs(out, exist_ok=True)
    codec_model.EXPORT_MODE = True
    model, ck = load_checkpoint(args.ckpt)
    model.eval()
    N, M = model.N, model.M
    if abs(ck['lambda'] - LAMBDAS[args.quality]) > 1e-9:
        print('warning: checkpoint lambda %g != quality %d lambda %g' % (
            ck['lambda'], args.quality, LAMBDAS[args.quality]), file=sys.stderr)

    ops = {}
    ops['analysis'] = export_onnx(model.g_a, 'x', 'y', 3, 128, os.path.join(out, 'analysis.onnx'))
    ops['synthesis'] = export_onnx(model.g_s, 'y_hat', 'x_hat', M, 8, os.path.join(out, 'synthesis.onnx'))
    ops['hyper_analysis'] = export_onnx(model.h_a, 'y', 'z', M, 8, os.path.join(out, 'hyper_analysis.onnx'))
    ops['hyper_synthesis'] = export_onnx(HS(model.h_s), 'z_hat', 'params', N, 2,
                                         os.path.join(out, 'hyper_synthesis.onnx'))
    for k, v in ops.items():
        print('%-16s ops: %s' % (k, ', '.join(v)))
        bad = [o for o in v if o not in ('Conv', 'ConvTranspose', 'Clip', 'Relu', 'Concat', 'Constant')]
        assert not bad, 'unexpected ops in %s: %s' % (k, bad)

    prior = build_prior(model.entropy_bottleneck)
    with open(os.path.join(out, 'prior.json'), 'w') as fh:
        json.dump(prior, fh)

    src = ck.get('sources', {})
    fe = ck.get('final_eval') or {}
    sizes = {f: os.path.getsize(os.path.join(out, f)) for f in sorted(os.listdir(out))
             if f.endswith('.onnx') or f == 'prior.json'}
    meta = {
        'quality': args.quality, 'lambda': ck['lambda'], 'N': N, 'M': M, 'clip': model.clip,
        'activation': 'Clip(0, %g) (clipped ReLU) after every hidden layer' % model.clip,
        'iterations': ck.get('total_iterations', ck['iterations']),
        'train_seconds': round(ck.get('total_train_seconds', ck['train_seconds']), 1),
        'init_from': ck.get('init'), 'batch': ck.get('batch'), 'crop': ck.get('crop', 128),
        'last_stage': {'lambda': ck['lambda'], 'iterations': ck['iterations'],
                       'seconds': round(ck['train_seconds'], 1), 'lr_start': ck.get('lr'), 'init': ck.get('init')},
        'schedule': args.schedule,
        'train_images': len(src.get('train_images', [])),
        'train_crops': src.get('train_crops'),
        'source_packages': src.get('packages'),
        'heldout': {
            'what': '%s held-out 256x256 crops of %d held-out wallpaper images (not Kodak), '
                    'test-time quantization, rate estimated from likelihoods, PSNR of the '
                    '8-bit rounded clamped reconstruction' % (fe.get('val_crops'), len(src.get('val_images', []))),
            'loss': fe.get('loss'), 'bpp': fe.get('bpp'), 'psnr': fe.get('psnr'),
        },
        'scale_lower_bound': SCALE_LOWER_BOUND,
        'likelihood_lower_bound': 1e-9,
        'note': 'y_hat = round(y - mu) + mu; z_hat = round(z)',
        'tensors': {
            'analysis': 'x [1,3,H,W] (RGB in [0,1], H,W multiples of 64, replicate-padded) -> y [1,M,H/16,W/16]',
            'hyper_analysis': 'y [1,M,H/16,W/16] -> z [1,N,H/64,W/64]',
            'hyper_synthesis': 'z_hat [1,N,H/64,W/64] -> params [1,2M,H/16,W/16]: [0,M) means, '
                               '[M,2M) scales (ReLU in-graph); sigma = max(scale, 0.11)',
            'synthesis': 'y_hat [1,M,H/16,W/16] -> x_hat [1,3,H,W] (unclamped)',
        },
        'onnx_ops': ops, 'opset': 13,
        'gaussian_scale_table_suggestion': [math.exp(v) for v in np.linspace(math.log(0.11), math.log(256), 64)],
        'file_bytes': sizes,
    }
    with open(os.path.join(out, 'meta.json'), 'w') as fh:
        json.dump(meta, fh, indent=1)
    print('wrote %s: %s' % (out, json.dumps(sizes)))


if __name__ == '__main__':
    main()
