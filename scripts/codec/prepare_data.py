#!/usr/bin/python3
"""Build the training / held-out crop sets for the float codec (scripts/codec/train.py).

Source: photographs shipped in Debian wallpaper packages, plus EXTRA_PHOTOS below (never Kodak; Kodak is for
evaluation only). Needs:

    apt-get install -y mate-backgrounds plasma-workspace-wallpapers ukui-wallpapers gnome-backgrounds \
        lomiri-wallpapers-16.04 lomiri-wallpapers-20.04 palapeli-data opencv-doc

Run (from the repository root; the data stays outside the repository):

    /usr/bin/python3 scripts/codec/prepare_data.py --out /work/codec-data

What it does:
  * lists the files of those packages with `dpkg -L` (/usr/share/backgrounds,
    /usr/share/wallpapers, ...), keeps JPEG files only (the PNG/SVG/WebP files in
    these packages are almost all rendered/abstract artwork, not photographs),
    skips Plasma "screenshot" thumbnails, and de-duplicates multi-resolution copies of
    the same wallpaper (Plasma's contents/images/WxH.jpg, MATE's Name_WxH.jpg),
    keeping the largest; images whose short side is < 480 px are dropped;
  * splits the images (seeded) into training images and ~10% held-out images;
  * for each image, several times: downsample by a random factor so that the short
    side becomes U(512, 768) px (never upsampled; Lanczos; this removes JPEG
    artifacts, as in CompressAI / Balle practice), then cuts random RGB crops;
  * writes  train_128.npy  uint8 [Ntrain, 128, 128, 3]   (default 24000 crops)
            val_256.npy    uint8 [Nval, 256, 256, 3]     (default 8 per held-out image)
            sources.json   the image list, split and package names.

With --pack DIR it instead writes the training images themselves, downsampled once so
that the short side is 768 px (Lanczos) and stored as JPEG quality 95 (4:4:4), plus
val_256.npy and sources.json: a ~15 MB folder that train.py --images DIR reads (random
crops at several scales, made on the training device). This is how the data travelled
to the GPU machine for the shipped models.
"""

import argparse
import json
import os
import re
import subprocess
import sys

import numpy as np
from PIL import Image

PACKAGES = ['mate-backgrounds', 'plasma-workspace-wallpapers', 'ukui-wallpapers', 'gnome-backgrounds',
            'lomiri-wallpapers-16.04', 'lomiri-wallpapers-20.04']
# Textured everyday photographs from two more Debian packages (the wallpapers are mostly smooth
# landscapes; Kodak is not). Training only: the held-out split is drawn from the wallpapers
# alone, so it is the same as before these were added. Chosen by eye: photographs only (no
# drawings, renders, charts, near-duplicate stereo pairs), short side >= 480 px.
EXTRA_PHOTOS = {
    'palapeli-data': [r'/palapeli/collection/[^/]+\.jpg$'],
    'opencv-doc': [r'/examples/data/(fruits|baboon|leuvenA|aloeL|building|orange|apple|stuff|aero1|'
                   r'ela_original)\.jpg$', r'/examples/data/graf1\.png$', r'/examples/text/scenetext0[1-6]\.jpg$'],
}


def package_files(pkg):
    try:
        out = subprocess.run(['dpkg', '-L', pkg], check=True, capture_output=True, text=True).stdout
    except (subprocess.CalledProcessError, FileNotFoundError):
        print('warning: package %s not installed' % pkg, file=sys.stderr)
        return []
    return [l.strip() for l in out.splitlines() if os.path.isfile(l.strip())]


def collect():
    groups = {}  # dedup key -> list of (path, pkg)
    for pkg in PACKAGES:
        for f in package_files(pkg):
            if not re.search(r'\.(jpe?g)$', f, re.I):
                continue
            if 'screenshot' in os.path.basename(f).lower():
                continue
            m = re.match(r'(.*/wallpapers/[^/]+)/contents/images[^/]*/[^/]+$', f)
            if m:
                key = m.group(1)
            else:
                key = re.sub(r'_\d+x\d+(?=\.[^.]+$)', '', f)
                key = os.path.splitext(key)[0]
            groups.setdefault(key, []).append((f, pkg))
    images = []
    for key in sorted(groups):
        best = None
        for f, pkg in groups[key]:
            try:
                with Image.open(f) as im:
                    w, h = im.size
            except Exception as e:  # noqa: BLE001
                print('skip unreadable %s: %s' % (f, e), file=sys.stderr)
                continue
            if best is None or w * h > best[2] * best[3]:
                best = (f, pkg, w, h)
        if best is not None and min(best[2], best[3]) >= 480:
            images.append(best)
    return images


def collect_extra():
    """The EXTRA_PHOTOS files, as (path, package, w, h), short side >= 480 px."""
    out = []
    for pkg, patterns in EXTRA_PHOTOS.items():
        for f in sorted(package_files(pkg)):
            if any(re.search(p, f) for p in patterns):
                with Image.open(f) as im:
                    w, h = im.size
                if min(w, h) >= 480:
                    out.append((f, pkg, w, h))
    return out


def crops_from(path, rng, n_crops, size, n_scales):
    with Image.open(path) as im:
        im = im.convert('RGB')
        im.load()
    w, h = im.size
    out = []
    per = [n_crops // n_scales + (1 if i < n_crops % n_scales else 0) for i in range(n_scales)]
    for k in per:
        if k == 0:
            continue
        target = rng.uniform(512, 768)
        f = min(1.0, target / min(w, h))
        nw, nh = max(size, int(round(w * f))), max(size, int(round(h * f)))
        small = np.asarray(im.resize((nw, nh), Image.LANCZOS) if f < 1.0 else im)
        for _ in range(k):
            y0 = rng.integers(0, nh - size + 1)
            x0 = rng.integers(0, nw - size + 1)
            out.append(small[y0:y0 + size, x0:x0 + size])
    return out


def pack(args, rng, train_imgs, val_imgs):
    os.makedirs(args.pack, exist_ok=True)
    names = []
    for i, (f, pkg, w, h) in enumerate(train_imgs):
        with Image.open(f) as im:
            im = im.convert('RGB')
            im.load()
        s = min(1.0, 768.0 / min(w, h))
        if s < 1.0:
            im = im.resize((max(1, int(round(w * s))), max(1, int(round(h * s)))), Image.LANCZOS)
        name = 'train_%03d.jpg' % i
        im.save(os.path.join(args.pack, name), quality=95, subsampling=0)
        names.append(name)
        print('pack %3d/%d %s %dx%d -> %dx%d' % (i + 1, len(train_imgs), f, w, h, im.size[0], im.size[1]),
              flush=True)
    val = []
    for f, pkg, w, h in val_imgs:
        val += crops_from(f, rng, args.val_per_image, 256, n_scales=2)
    np.save(os.path.join(args.pack, 'val_256.npy'), np.stack(val))
    meta = {
        'packages': PACKAGES + ([] if args.no_extra else list(EXTRA_PHOTOS)),
        'train_images': [f for f, _, _, _ in train_imgs], 'packed': names,
        'val_images': [f for f, _, _, _ in val_imgs], 'val_crops': len(val), 'val_crop': 256,
        'downsample': 'short side -> 768 px (Lanczos, never upsampled), JPEG q95 4:4:4; '
                      'train.py --images rescales to U(512,768) and crops on the device',
        'seed': args.seed,
    }
    with open(os.path.join(args.pack, 'sources.json'), 'w') as fh:
        json.dump(meta, fh, indent=1)
    print('packed %d training images, %d val crops into %s' % (len(names), len(val), args.pack))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--out', default='/work/codec-data')
    ap.add_argument('--train-crops', type=int, default=24000)
    ap.add_argument('--crop', type=int, default=128)
    ap.add_argument('--val-fraction', type=float, default=0.1)
    ap.add_argument('--val-per-image', type=int, default=8)
    ap.add_argument('--seed', type=int, default=1234)
    ap.add_argument('--pack', metavar='DIR',
                    help='write downsampled training images (JPEG q95) to DIR instead of train crops')
    ap.add_argument('--no-extra', action='store_true',
                    help='wallpapers only (sessions 3-4): leave out the EXTRA_PHOTOS training photographs')
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    images = collect()
    print('%d source images' % len(images))
    order = rng.permutation(len(images))
    n_val = max(1, int(round(len(images) * args.val_fraction)))
    val_idx = set(order[:n_val].tolist())
    train_imgs = [im for i, im in enumerate(images) if i not in val_idx]
    val_imgs = [im for i, im in enumerate(images) if i in val_idx]
    if not args.no_extra:
        extra = collect_extra()
        print('%d extra training photographs (%s)' % (len(extra), ', '.join(EXTRA_PHOTOS)))
        train_imgs += extra

    if args.pack:
        pack(args, rng, train_imgs, val_imgs)
        return
    per_img = args.train_crops // len(train_imgs)
    extra = args.train_crops - per_img * len(train_imgs)
    train = []
    for i, (f, pkg, w, h) in enumerate(train_imgs):
        n = per_img + (1 if i < extra else 0)
        train += crops_from(f, rng, n, args.crop, n_scales=8)
        print('train %3d/%d %s %dx%d -> %d crops' % (i + 1, len(train_imgs), f, w, h, n), flush=True)
    train = np.stack(train)
    train = train[rng.permutation(len(train))]
    val = []
    for f, pkg, w, h in val_imgs:
        val += crops_from(f, rng, args.val_per_image, 256, n_scales=2)
        print('val %s %dx%d' % (f, w, h), flush=True)
    val = np.stack(val)
    np.save(os.path.join(args.out, 'train_%d.npy' % args.crop), train)
    np.save(os.path.join(args.out, 'val_256.npy'), val)
    meta = {
        'packages': PACKAGES + ([] if args.no_extra else list(EXTRA_PHOTOS)),
        'train_images': [f for f, _, _, _ in train_imgs],
        'val_images': [f for f, _, _, _ in val_imgs],
        'train_crops': int(len(train)), 'crop': args.crop,
        'val_crops': int(len(val)), 'val_crop': 256,
        'downsample': 'short side -> U(512,768) px, Lanczos, never upsampled',
        'seed': args.seed,
    }
    with open(os.path.join(args.out, 'sources.json'), 'w') as fh:
        json.dump(meta, fh, indent=1)
    print('train', train.shape, 'val', val.shape)


if __name__ == '__main__':
    main()
