#!/usr/bin/python3
"""Train the float mean-scale hyperprior codec (model in scripts/codec/codec_model.py).

Loss: lambda * 255^2 * MSE(x, x_hat) + bpp, bpp = -(sum log2 p(y~) + sum log2 p(z~)) / pixels,
with additive U(-0.5, 0.5) noise on y and z during training; Adam on the main
parameters (grad-norm clipped to 1.0) and a separate Adam (lr 1e-3) on the
factorized prior's quantiles minimizing the aux loss.

Data: scripts/codec/prepare_data.py -> /work/codec-data/train_128.npy (uint8 NHWC crops of
Debian wallpaper photographs) and val_256.npy (held-out images). Random h/v flips.

Commands used for the shipped models (CPU, 2 threads shared with other jobs, nice'd;
checkpoints outside the repo). scripts/codec/run_all.sh ran steps 1-2a, then
scripts/codec/run_finetune.sh ran step 2b:

  /usr/bin/python3 scripts/codec/prepare_data.py --out /work/codec-data
  # 1) base model at the geometric-middle lambda 0.0094, 36 min (2077 iterations)
  nice -n 15 /usr/bin/python3 scripts/codec/train.py --lambda 0.0094 --minutes 36 \\
      --lr 5e-4 --lr-final 2e-4 --batch 8 --N 64 --M 128 --clip 4 --out /work/codec-ckpt/base.pt
  # 2a) q1 only (too small an lr: the rate point hardly moved; kept as q1's first stage)
  nice -n 15 /usr/bin/python3 scripts/codec/train.py --init /work/codec-ckpt/base.pt \\
      --lambda 0.0035 --minutes 6 --lr 2e-4 --lr-final 5e-5 --batch 8 --out /work/codec-ckpt/q1.pt
  # 2b) per-quality fine-tunes, lr 5e-4 -> 2e-4 (linear in time):
  #     q4: --init base.pt --lambda 0.025  --minutes 6
  #     q1: --init q1.pt   --lambda 0.0035 --minutes 5   (continues 2a)
  #     q3: --init base.pt --lambda 0.013  --minutes 4
  #     q2: --init base.pt --lambda 0.0067 --minutes 4   (63 it, still transient), then
  #         --init q2_stage1.pt --lambda 0.0067 --minutes 4.5 --lr 1.5e-4 --lr-final 5e-5
  nice -n 15 /usr/bin/python3 scripts/codec/train.py --init /work/codec-ckpt/base.pt \\
      --lambda 0.025 --minutes 6 --lr 5e-4 --lr-final 2e-4 --batch 8 --out /work/codec-ckpt/q4.pt
  # 3) export and float evaluation on Kodak
  /usr/bin/python3 scripts/codec/export.py --ckpt /work/codec-ckpt/q4.pt --quality 4   # ... q1..q3
  /usr/bin/python3 scripts/codec/eval_float.py

(iterations / seconds per quality are in models/codec/q*/meta.json; the logs are
models/codec/base_train.log and models/codec/q*/train.log (last stage), q1/q2 also train_stage1.log).

Speed note: Debian's torch links the reference BLAS; nn.ConvTranspose2d is ~9x slower than
the MKL-DNN Conv2d path, so the model computes its transposed convolutions in the identical
sub-pixel form (3x3 Conv2d + PixelShuffle) during training; see codec_model.py.

GPU training (the shipped models; see models/codec/README.md): the data travels as
prepare_data.py --pack DIR (72 downsampled JPEGs since session 6, ~29 MB) and train.py reads it with
--images DIR --device cuda, cutting random --crop crops on the device from three
rescaled copies of each image (short side 512, 640, 768 px).

--init loads weights only (fresh optimizer, new lambda); --resume also restores the
optimizer state, iteration counter and elapsed time and continues the same run.
"""

import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from codec_model import Codec, load_checkpoint, rd_terms  # noqa: E402


def load_image_pyramid(folder, crop, dev):
    """Every JPEG/PNG in folder as uint8 [3,H,W] tensors on dev, at short side 768, 640 and 512."""
    from PIL import Image
    import torch.nn.functional as F
    out = []
    names = sorted(f for f in os.listdir(folder) if f.lower().endswith(('.jpg', '.jpeg', '.png')))
    if not names:
        raise SystemExit('no .jpg/.png images in %s' % folder)
    for name in names:
        with Image.open(os.path.join(folder, name)) as im:
            a = np.asarray(im.convert('RGB'))
        t = torch.from_numpy(a.copy()).permute(2, 0, 1).to(dev)
        short = min(t.shape[1], t.shape[2])
        for target in (768, 640, 512):
            s = min(1.0, target / short)
            h, w = max(crop, int(round(t.shape[1] * s))), max(crop, int(round(t.shape[2] * s)))
            if (h, w) == tuple(t.shape[1:]):
                out.append(t)
            else:
                r = F.interpolate(t[None].float(), size=(h, w), mode='bicubic', antialias=True, align_corners=False)
                out.append(r[0].round().clamp(0, 255).to(torch.uint8))
    return out


def sample_crops(pyramid, batch, crop, rng):
    """A float [batch,3,crop,crop] batch in [0,1] of random crops, scales and flips."""
    xs = []
    for _ in range(batch):
        t = pyramid[rng.integers(0, len(pyramid))]
        y0 = rng.integers(0, t.shape[1] - crop + 1)
        x0 = rng.integers(0, t.shape[2] - crop + 1)
        c = t[:, y0:y0 + crop, x0:x0 + crop]
        if rng.random() < 0.5:
            c = torch.flip(c, dims=[2])
        xs.append(c)
    return torch.stack(xs).float() / 255.0


def evaluate(model, val, lmbda, dev=torch.device('cpu'), batch=4):
    """Held-out evaluation with test-time quantization (round), estimated rate."""
    model.eval()
    tot = {'loss': 0.0, 'bpp': 0.0, 'mse': 0.0, 'psnr': 0.0}
    n = 0
    with torch.no_grad():
        for i in range(0, len(val), batch):
            x = torch.from_numpy(val[i:i + batch]).permute(0, 3, 1, 2).float().to(dev) / 255.0
            out = model(x, noise=False)
            for j in range(x.shape[0]):
                o = {k: v[j:j + 1] for k, v in out.items()}
                loss, bpp, _ = rd_terms(o, x[j:j + 1], lmbda)
                xh = torch.clamp(torch.round(o['x_hat'] * 255), 0, 255) / 255.0
                mse8 = torch.mean((xh - x[j:j + 1]) ** 2).item()
                tot['loss'] += loss.item()
                tot['bpp'] += bpp.item()
                tot['mse'] += mse8
                tot['psnr'] += 10 * math.log10(1.0 / max(mse8, 1e-12))
                n += 1
    model.train()
    return {k: v / n for k, v in tot.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--lambda', dest='lmbda', type=float, required=True,
                    help='rate-distortion weight: loss = lambda*255^2*MSE + bpp '
                         '(0.0035, 0.0067, 0.013, 0.025 for quality 1..4)')
    ap.add_argument('--minutes', type=float, default=10.0, help='wall-clock training budget (minutes)')
    ap.add_argument('--max-iters', type=int, default=0, help='stop after this many iterations (0: no limit)')
    ap.add_argument('--data', default='/work/codec-data', help='directory with train_128.npy and val_256.npy')
    ap.add_argument('--images', metavar='DIR',
                    help='train on random crops of the images in DIR (prepare_data.py --pack) instead of --data')
    ap.add_argument('--crop', type=int, default=256, help='crop size with --images')
    ap.add_argument('--device', default='cpu', help='torch device (cpu, cuda)')
    ap.add_argument('--decay-start', type=float, default=0.0,
                    help='fraction of the budget after which the lr starts its linear decay to --lr-final')
    ap.add_argument('--no-opt-state', action='store_true',
                    help='leave the optimizer states out of the checkpoint (3x smaller; --init still works)')
    ap.add_argument('--out', required=True, help='checkpoint to write (.pt; keep it outside the repo)')
    ap.add_argument('--init', help='start from this checkpoint\'s weights (fresh optimizer)')
    ap.add_argument('--init-onnx', metavar='QDIR',
                    help='with --init: take the transform weights from the exported ONNX files in QDIR '
                         '(models/codec/qN); the --init checkpoint then needs only the entropy bottleneck '
                         '(scripts/codec/slim_checkpoint.py), which keeps what travels to a GPU machine small')
    ap.add_argument('--resume', help='continue this checkpoint (weights, optimizers, counters)')
    ap.add_argument('--N', type=int, default=64, help='channels of the transforms and of z')
    ap.add_argument('--M', type=int, default=128, help='channels of y')
    ap.add_argument('--clip', type=float, default=4.0, help='activation clip c: act = Clip(0, c)')
    ap.add_argument('--lr', type=float, default=3e-4, help='Adam learning rate (main parameters)')
    ap.add_argument('--lr-final', type=float, default=None,
                    help='if set, the lr decays linearly (in time) to this value by the end of the budget')
    ap.add_argument('--warmup', type=int, default=0,
                    help='iterations of linear lr warm-up at the start of this run (use with --init)')
    ap.add_argument('--aux-lr', type=float, default=1e-3, help='Adam lr for the prior quantiles (aux loss)')
    ap.add_argument('--ste', action='store_true',
                    help='synthesis trains on rounded latents with a straight-through gradient (the rate '
                         'keeps the additive noise); see Codec.forward')
    ap.add_argument('--amp', action='store_true', help='bfloat16 autocast for the transforms (GPU speed)')
    ap.add_argument('--batch', type=int, default=8)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--log-every', type=int, default=50)
    ap.add_argument('--save-minutes', type=float, default=5.0, help='checkpoint interval')
    ap.add_argument('--val-crops', type=int, default=64, help='held-out crops used for the final evaluation')
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.backends.cudnn.benchmark = True
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)

    dev = torch.device(args.device)
    data_dir = args.images or args.data
    if args.images:
        train = load_image_pyramid(args.images, args.crop, dev)
        n_train = sum(int(t.shape[1] - args.crop + 1) * int(t.shape[2] - args.crop + 1) for t in train)
        print('%d image scales from %s (%d possible crops of %d)' % (len(train), args.images, n_train, args.crop))
    else:
        train = np.load(os.path.join(args.data, 'train_128.npy'), mmap_mode='r')
        train = np.ascontiguousarray(train)
    val = np.load(os.path.join(data_dir, 'val_256.npy'))[:args.val_crops]
    with open(os.path.join(data_dir, 'sources.json')) as fh:
        sources = json.load(fh)

    history = []
    it = 0
    elapsed_before = 0.0
    if args.resume:
        model, ck = load_checkpoint(args.resume)
    elif args.init and args.init_onnx:
        from eval_float import load_exported
        model, _, _ = load_exported(args.init_onnx)
        ck = torch.load(args.init, map_location='cpu')
        res = model.load_state_dict(ck['model'], strict=False)
        assert not res.unexpected_keys, res.unexpected_keys
        assert all(k.split('.')[0] in ('g_a', 'g_s', 'h_a', 'h_s') for k in res.missing_keys), res.missing_keys
        history = ck.get('history', [])
    elif args.init:
        model, ck = load_checkpoint(args.init)
        history = ck.get('history', [])
        elapsed_before = 0.0
    else:
        model, ck = Codec(args.N, args.M, args.clip), None
    model.to(dev)
    opt = torch.optim.Adam(model.main_parameters(), lr=args.lr)
    aux_opt = torch.optim.Adam(model.aux_parameters(), lr=args.aux_lr)
    if args.resume:
        opt.load_state_dict(ck['opt'])
        aux_opt.load_state_dict(ck['aux_opt'])
        for g in opt.param_groups:
            g['lr'] = args.lr
        it = ck['iterations']
        elapsed_before = ck['train_seconds']
        history = ck.get('history', [])
    prev_total_iters = ck.get('total_iterations', ck.get('iterations', 0)) if ck is not None else 0
    prev_total_secs = ck.get('total_train_seconds', ck.get('train_seconds', 0.0)) if ck is not None else 0.0
    if args.resume:  # the totals already include this run's earlier part
        prev_total_iters -= it
        prev_total_secs -= elapsed_before
    model.train()
    print('model %s params %d, data %s, lambda %g' % (
        model.config(), sum(p.numel() for p in model.parameters()),
        "%d image scales" % len(train) if args.images else train.shape, args.lmbda), flush=True)

    def save(path, final_eval=None):
        d = {
            'config': model.config(), 'model': {k: v.detach().cpu() for k, v in model.state_dict().items()},
            'opt': None if args.no_opt_state else opt.state_dict(),
            'aux_opt': None if args.no_opt_state else aux_opt.state_dict(),
            'lambda': args.lmbda, 'iterations': it, 'train_seconds': elapsed,
            'total_iterations': prev_total_iters + it, 'total_train_seconds': prev_total_secs + elapsed,
            'batch': args.batch, 'ste': args.ste, 'amp': args.amp, 'crop': args.crop if args.images else 128, 'lr': args.lr, 'init': args.init, 'resume': args.resume,
            'history': history, 'sources': sources, 'final_eval': final_eval,
        }
        tmp = path + '.tmp'
        torch.save(d, tmp)
        os.replace(tmp, path)

    budget = args.minutes * 60.0
    t0 = time.time()
    last_save = t0
    acc = {'loss': 0.0, 'bpp': 0.0, 'mse': 0.0, 'aux': 0.0, 'n': 0}
    n_train = len(train)
    elapsed = elapsed_before
    run_start_elapsed = elapsed_before
    it_start = it
    while True:
        elapsed = elapsed_before + (time.time() - t0)
        run_elapsed = time.time() - t0
        if run_elapsed >= budget or (args.max_iters and it >= args.max_iters):
            break
        lr_now = args.lr
        if args.lr_final is not None:
            frac = min(1.0, run_elapsed / budget)
            frac = max(0.0, (frac - args.decay_start) / max(1e-9, 1.0 - args.decay_start))
            lr_now = args.lr + (args.lr_final - args.lr) * frac
        if args.warmup and it - it_start < args.warmup:
            # a fresh Adam's first steps move every weight by ~lr: ramp up when continuing a model
            lr_now *= (it - it_start + 1) / args.warmup
        for g in opt.param_groups:
            g['lr'] = lr_now
        if args.images:
            xb = sample_crops(train, args.batch, args.crop, rng)
        else:
            idx = rng.integers(0, n_train, args.batch)
            xb = torch.from_numpy(train[idx]).permute(0, 3, 1, 2).float().to(dev) / 255.0
        if rng.random() < 0.5:
            xb = torch.flip(xb, dims=[3])
        if rng.random() < 0.5:
            xb = torch.flip(xb, dims=[2])
        out = model(xb, noise=True, ste=args.ste, amp=args.amp)
        loss, bpp, mse = rd_terms(out, xb, args.lmbda)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.main_parameters(), 1.0)
        opt.step()
        aux = model.entropy_bottleneck.aux_loss()
        aux_opt.zero_grad()
        aux.backward()
        aux_opt.step()
        it += 1
        # summed on the device; read (one sync) only when logging
        acc['loss'] += loss.detach()
        acc['bpp'] += bpp.detach()
        acc['mse'] += mse.detach()
        acc['aux'] += aux.detach()
        acc['n'] += 1
        if it % args.log_every == 0:
            n = acc['n']
            acc.update({k: float(acc[k]) for k in ('loss', 'bpp', 'mse', 'aux')})
            rec = {'it': it, 'sec': round(elapsed, 1), 'loss': acc['loss'] / n, 'bpp': acc['bpp'] / n,
                   'psnr': 10 * math.log10(1.0 / (acc['mse'] / n)), 'aux': acc['aux'] / n,
                   'img_per_s': round(n * args.batch / max(1e-6, (time.time() - t0) - acc.get('t', 0.0)), 2),
                   'lambda': args.lmbda}
            acc = {'loss': 0.0, 'bpp': 0.0, 'mse': 0.0, 'aux': 0.0, 'n': 0, 't': time.time() - t0}
            history.append(rec)
            print(json.dumps(rec), flush=True)
        if time.time() - last_save > args.save_minutes * 60:
            save(args.out)
            last_save = time.time()
    elapsed = elapsed_before + (time.time() - t0)
    ev = evaluate(model, val, args.lmbda, dev)
    ev['val_crops'] = int(len(val))
    print('final held-out (rounded, 256x256 crops):', json.dumps(ev), flush=True)
    save(args.out, final_eval=ev)
    print('saved %s after %d iterations, %.1f s (this run %.1f s)' % (
        args.out, it, elapsed, elapsed - run_start_elapsed), flush=True)


if __name__ == '__main__':
    main()
