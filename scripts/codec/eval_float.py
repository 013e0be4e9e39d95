#!/usr/bin/python3
"""Float rate-distortion sanity check of the exported codec models on Kodak.

  /usr/bin/python3 scripts/codec/eval_float.py [--kodak /work/shared/data/kodak] [--qualities 1,2,3,4,5]

For each models/codec/q{Q}/ it rebuilds the float model from the EXPORTED files only:
the weights are read back from the four .onnx files (a minimal protobuf reader for the
initializers; the onnx package is not needed), the architecture from meta.json (N, M,
clip), and the z prior from prior.json. Kodak (PNG, evaluation only, never used for
training) images are replicate-padded to multiples of 64, then:

  y = g_a(x); z = h_a(y); z_hat = round(z); params = h_s(z_hat) -> mu, scale
  y_hat = round(y - mu) + mu; x_hat = g_s(y_hat), cropped, clamped, rounded to 8 bit
  rate(y) = -sum log2 [Phi((v+.5)/s) - Phi((v-.5)/s)], v = y_hat - mu, s = max(scale, 0.11),
            likelihood lower bound 1e-9 (ideal float estimate)
  rate(z) = -sum log2(freq/2^16) with the 16-bit quantized CDFs of prior.json (symbols
            outside a channel's table: escape frequency + 16 bits, counted separately)
  bpp     = (rate(y) + rate(z)) / (H*W of the unpadded image)

Prints a table (mean over the 24 images) and writes models/codec/float_rd_estimate.json.
"""

import argparse
import glob
import json
import math
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from codec_model import Codec  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


# ---------------------------------------------------------------- minimal ONNX reader
def _varint(b, i):
    r = s = 0
    while True:
        c = b[i]
        i += 1
        r |= (c & 0x7F) << s
        s += 7
        if c < 0x80:
            return r, i


def _fields(b):
    i = 0
    while i < len(b):
        key, i = _varint(b, i)
        f, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _varint(b, i)
        elif wt == 1:
            v = b[i:i + 8]
            i += 8
        elif wt == 2:
            n, i = _varint(b, i)
            v = b[i:i + n]
            i += n
        elif wt == 5:
            v = b[i:i + 4]
            i += 4
        else:
            raise ValueError('unsupported wire type %d' % wt)
        yield f, wt, v


def onnx_initializers(path):
    """name -> float32 numpy array, for raw_data / float_data FLOAT initializers."""
    data = open(path, 'rb').read()
    graph = next(v for f, wt, v in _fields(data) if f == 7)
    out = {}
    for f, wt, v in _fields(graph):
        if f != 5:
            continue
        dims, name, raw, fl, dtype = [], None, None, [], 1
        for tf, twt, tv in _fields(v):
            if tf == 1:
                if twt == 2:
                    j = 0
                    while j < len(tv):
                        d, j = _varint(tv, j)
                        dims.append(d)
                else:
                    dims.append(tv)
            elif tf == 2:
                dtype = tv
            elif tf == 8:
                name = tv.decode()
            elif tf == 9:
                raw = tv
            elif tf == 4:
                fl += list(struct.unpack('<%df' % (len(tv) // 4), tv)) if twt == 2 else [struct.unpack('<f', tv)[0]]
        if dtype != 1:
            continue
        arr = np.frombuffer(raw, dtype='<f4') if raw is not None else np.array(fl, dtype=np.float32)
        out[name] = arr.reshape(dims).copy()
    return out


def load_exported(qdir):
    meta = json.load(open(os.path.join(qdir, 'meta.json')))
    model = Codec(meta['N'], meta['M'], meta['clip']).eval()
    parts = {'analysis': ('g_a', ''), 'synthesis': ('g_s', ''), 'hyper_analysis': ('h_a', ''),
             'hyper_synthesis': ('h_s', 'h_s.')}
    sd = model.state_dict()
    loaded = 0
    for fname, (mod, strip) in parts.items():
        inits = onnx_initializers(os.path.join(qdir, fname + '.onnx'))
        for name, arr in inits.items():
            key = mod + '.' + (name[len(strip):] if strip and name.startswith(strip) else name)
            if key in sd:
                assert tuple(sd[key].shape) == arr.shape, (key, sd[key].shape, arr.shape)
                sd[key] = torch.from_numpy(arr)
                loaded += 1
    expect = sum(1 for k in sd if k.split('.')[0] in ('g_a', 'g_s', 'h_a', 'h_s'))
    assert loaded == expect, 'loaded %d of %d transform tensors from ONNX' % (loaded, expect)
    model.load_state_dict(sd)
    prior = json.load(open(os.path.join(qdir, 'prior.json')))
    return model, meta, prior


def z_bits(z_hat, prior):
    """Bits of z_hat [1,C,h,w] under the quantized CDF tables."""
    bits, escapes = 0.0, 0
    zc = z_hat[0].reshape(z_hat.shape[1], -1).round().long().numpy()
    for c, ch in enumerate(prior['prior']):
        cdf = np.array(ch['cdf'], dtype=np.int64)
        freq = np.diff(cdf)
        s = zc[c] - ch['offset']
        inside = (s >= 0) & (s < ch['length'])
        bits += float(-np.log2(freq[s[inside]] / 65536.0).sum())
        n_out = int((~inside).sum())
        escapes += n_out
        bits += n_out * (-math.log2(freq[-1] / 65536.0) + 16)
    return bits, escapes


def y_bits(y_hat, mu, scale):
    s = torch.clamp(scale, min=0.11)
    v = torch.abs(y_hat - mu)
    c = -(2 ** -0.5)
    lik = 0.5 * torch.erfc(c * (0.5 - v) / s) - 0.5 * torch.erfc(c * (-0.5 - v) / s)
    return float(-torch.log2(torch.clamp(lik, min=1e-9)).sum())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--kodak', default='/work/shared/data/kodak')
    ap.add_argument('--models', default=os.path.join(REPO, 'models', 'codec'))
    ap.add_argument('--qualities', default='1,2,3,4,5')
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--fresh', action='store_true',
                    help='overwrite float_rd_estimate.json instead of merging with the results '
                         'of qualities not evaluated in this run')
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    files = sorted(glob.glob(os.path.join(args.kodak, '*.png')))
    assert files, 'no PNG files in %s' % args.kodak
    imgs = [np.asarray(Image.open(f).convert('RGB')) for f in files]
    results = []
    for q in [int(s) for s in args.qualities.split(',')]:
        qdir = os.path.join(args.models, 'q%d' % q)
        if not os.path.exists(os.path.join(qdir, 'meta.json')):
            print('q%d: not exported, skipped' % q)
            continue
        model, meta, prior = load_exported(qdir)
        M = meta['M']
        per = []
        t0 = time.time()
        with torch.no_grad():
            for f, im in zip(files, imgs):
                H, W = im.shape[:2]
                x = torch.from_numpy(im).permute(2, 0, 1).float().unsqueeze(0) / 255.0
                ph, pw = (-H) % 64, (-W) % 64
                xp = F.pad(x, (0, pw, 0, ph), mode='replicate') if ph or pw else x
                y = model.g_a(xp)
                z_hat = torch.round(model.h_a(y))
                params = model.h_s(z_hat)
                mu, scale = params[:, :M], params[:, M:]
                y_hat = torch.round(y - mu) + mu
                x_hat = model.g_s(y_hat)[:, :, :H, :W]
                x8 = torch.clamp(torch.round(x_hat * 255), 0, 255)
                mse = float(torch.mean((x8 - x * 255) ** 2))
                by = y_bits(y_hat, mu, scale)
                bz, esc = z_bits(z_hat, prior)
                per.append({'image': os.path.basename(f), 'bpp': (by + bz) / (H * W),
                            'bpp_y': by / (H * W), 'bpp_z': bz / (H * W),
                            'psnr': 10 * math.log10(255 ** 2 / max(mse, 1e-12)), 'z_escapes': esc})
        r = {'quality': q, 'lambda': meta['lambda'],
             'bpp': float(np.mean([p['bpp'] for p in per])),
             'bpp_y': float(np.mean([p['bpp_y'] for p in per])),
             'bpp_z': float(np.mean([p['bpp_z'] for p in per])),
             'psnr': float(np.mean([p['psnr'] for p in per])),
             'z_escapes': int(sum(p['z_escapes'] for p in per)),
             'images': len(per), 'seconds': round(time.time() - t0, 1), 'per_image': per}
        results.append(r)
        print('q%d done in %.1fs' % (q, r['seconds']), flush=True)
    out_path = os.path.join(args.models, 'float_rd_estimate.json')
    if os.path.exists(out_path) and not args.fresh:  # keep other qualities' earlier results
        done = {r['quality'] for r in results}
        old = json.load(open(out_path)).get('results', [])
        results = sorted([r for r in old if r['quality'] not in done] + results, key=lambda r: r['quality'])
    print('\nKodak (%d images), float model from the exported files, estimated rate' % len(files))
    print('%-4s %-8s %-8s %-8s %-8s %-8s %s' % ('q', 'lambda', 'bpp', 'bpp_y', 'bpp_z', 'PSNR', 'z_escapes'))
    for r in results:
        print('q%-3d %-8g %-8.4f %-8.4f %-8.4f %-8.3f %d' % (
            r['quality'], r['lambda'], r['bpp'], r['bpp_y'], r['bpp_z'], r['psnr'], r['z_escapes']))
    out = {'dataset': 'Kodak (24 PNG, %s)' % args.kodak,
           'method': 'float model rebuilt from the exported ONNX weights; y_hat = round(y-mu)+mu, '
                     'z_hat = round(z); y rate = ideal Gaussian likelihood estimate; z rate from the '
                     'prior.json 16-bit CDFs; PSNR of the clamped 8-bit rounded reconstruction, mean over images',
           'results': results}
    with open(out_path, 'w') as fh:
        json.dump(out, fh, indent=1)


if __name__ == '__main__':
    main()
