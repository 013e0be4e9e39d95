#!/usr/bin/python3
"""Train the bundled example model (examples/fashion-small) and write its data subsets.

Produces, in --out (default examples/fashion-small):
  model.onnx                      small float CNN, opset 13, input 'input' [N,1,28,28]
                                  (pixel/255, NCHW), output 'probs' [N,10] (softmax)
  t10k-images-idx3-ubyte.gz       first 1,000 images of the Fashion-MNIST test split
  t10k-labels-idx1-ubyte.gz       their labels
  train-images-idx3-ubyte.gz      first 200 images of the training split (calibration:
  train-labels-idx1-ubyte.gz      disjoint from the test data)
  info.json                       accuracies measured here, preprocessing, file sizes

Needs Debian's python3-torch (1.13, CPU), python3-onnx and numpy; run it with
/usr/bin/python3 from the repository root:

  /usr/bin/python3 scripts/train-example.py [--data DIR] [--epochs N]

Deterministic: fixed seed, 2 threads, no data-loader workers, deterministic algorithms.
"""

import argparse
import gzip
import io
import json
import os
import struct
import sys
import time

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_DATA = os.path.join(REPO, '..', 'shared', 'data', 'fashion-mnist')
FALLBACK_DATA = '/usr/share/datasets/fashion-mnist'
DEFAULT_OUT = os.path.join(REPO, 'examples', 'fashion-small')

TEST_SUBSET = 1000
CALIB_SUBSET = 200
CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat',
           'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']

IDX_IMAGES_MAGIC = 0x00000803  # unsigned byte, 3 dims
IDX_LABELS_MAGIC = 0x00000801  # unsigned byte, 1 dim


# ---------------------------------------------------------------- IDX files

def read_idx(path):
    """Reads a (gzipped) IDX file of unsigned bytes; returns a uint8 array of its dims."""
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rb') as f:
        raw = f.read()
    magic, = struct.unpack('>I', raw[:4])
    if magic >> 8 != 0x08:
        raise ValueError(f'{path}: not an unsigned-byte IDX file (magic 0x{magic:08x})')
    ndim = magic & 0xff
    dims = struct.unpack('>' + 'I' * ndim, raw[4:4 + 4 * ndim])
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise ValueError(f'{path}: {data.size} bytes of data, header says {dims}')
    return data.reshape(dims)


def write_idx_gz(path, array):
    """Writes a uint8 array as a gzipped IDX file (big-endian header, mtime 0 for stable bytes)."""
    assert array.dtype == np.uint8 and array.ndim in (1, 3)
    magic = IDX_IMAGES_MAGIC if array.ndim == 3 else IDX_LABELS_MAGIC
    header = struct.pack('>I', magic) + struct.pack('>' + 'I' * array.ndim, *array.shape)
    buf = io.BytesIO()
    with gzip.GzipFile(filename='', mode='wb', fileobj=buf, mtime=0, compresslevel=9) as g:
        g.write(header + np.ascontiguousarray(array).tobytes())
    with open(path, 'wb') as f:
        f.write(buf.getvalue())


def load_split(data_dir, prefix):
    images = read_idx(os.path.join(data_dir, f'{prefix}-images-idx3-ubyte.gz'))
    labels = read_idx(os.path.join(data_dir, f'{prefix}-labels-idx1-ubyte.gz'))
    assert images.shape[1:] == (28, 28) and images.shape[0] == labels.shape[0]
    return images, labels


# ---------------------------------------------------------------- model

class SmallNet(nn.Module):
    """~17k parameters. Ops after export: Conv (BN folded), Relu, Add, MaxPool,
    GlobalAveragePool, Flatten, Gemm, Softmax."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.conv2 = nn.Conv2d(16, 16, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(16)
        self.conv3 = nn.Conv2d(16, 32, 3, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(32)
        self.conv4 = nn.Conv2d(32, 32, 3, padding=1)
        self.fc = nn.Linear(32, 10)

    def logits(self, x):
        a = F.relu(self.bn1(self.conv1(x)))             # 16 x 28 x 28
        x = F.relu(self.bn2(self.conv2(a)) + a)         # residual Add, then ReLU
        x = F.max_pool2d(x, 2)                          # 16 x 14 x 14
        x = F.relu(self.bn3(self.conv3(x)))             # 32 x 14 x 14
        x = F.max_pool2d(x, 2)                          # 32 x 7 x 7
        x = F.relu(self.conv4(x))                       # 32 x 7 x 7
        x = F.adaptive_avg_pool2d(x, 1)                 # GlobalAveragePool
        return self.fc(torch.flatten(x, 1))

    def forward(self, x):
        return torch.softmax(self.logits(x), dim=1)


def to_input(images):
    """uint8 [N,28,28] -> float32 [N,1,28,28], pixel/255 (the preprocessing the model expects)."""
    return torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)


def count_correct(model, images, labels, batch=1000):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(images), batch):
            pred = model.logits(to_input(images[i:i + batch])).argmax(1).numpy()
            correct += int((pred == labels[i:i + batch]).sum())
    return correct


# ---------------------------------------------------------------- main

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--data', default=DEFAULT_DATA,
                   help='folder with the Fashion-MNIST *.gz IDX files '
                        '(default ../shared/data/fashion-mnist; /usr/share/datasets/fashion-mnist works too)')
    p.add_argument('--out', default=DEFAULT_OUT, help='output folder (default examples/fashion-small)')
    p.add_argument('--epochs', type=int, default=15)
    p.add_argument('--batch', type=int, default=128)
    p.add_argument('--lr', type=float, default=1e-2)
    p.add_argument('--seed', type=int, default=0)
    args = p.parse_args()

    data_dir = args.data
    if not os.path.isdir(data_dir) and data_dir == DEFAULT_DATA and os.path.isdir(FALLBACK_DATA):
        data_dir = FALLBACK_DATA
    if not os.path.isdir(data_dir):
        sys.exit(f'no Fashion-MNIST data at {data_dir} (pass --data DIR)')

    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)

    train_x, train_y = load_split(data_dir, 'train')
    test_x, test_y = load_split(data_dir, 't10k')
    print(f'data: {data_dir}  train {train_x.shape}  test {test_x.shape}', flush=True)

    os.makedirs(args.out, exist_ok=True)
    write_idx_gz(os.path.join(args.out, 't10k-images-idx3-ubyte.gz'), test_x[:TEST_SUBSET])
    write_idx_gz(os.path.join(args.out, 't10k-labels-idx1-ubyte.gz'), test_y[:TEST_SUBSET])
    write_idx_gz(os.path.join(args.out, 'train-images-idx3-ubyte.gz'), train_x[:CALIB_SUBSET])
    write_idx_gz(os.path.join(args.out, 'train-labels-idx1-ubyte.gz'), train_y[:CALIB_SUBSET])

    model = SmallNet()
    xs = to_input(train_x)
    ys = torch.from_numpy(train_y.astype(np.int64))
    steps_per_epoch = (len(xs) + args.batch - 1) // args.batch
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, epochs=args.epochs,
                                                steps_per_epoch=steps_per_epoch)
    gen = torch.Generator().manual_seed(args.seed)
    t0 = time.time()
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(len(xs), generator=gen)
        total_loss = 0.0
        for i in range(0, len(xs), args.batch):
            idx = perm[i:i + args.batch]
            xb, yb = xs[idx], ys[idx]
            flip = torch.rand(len(idx), generator=gen) < 0.5    # horizontal-flip augmentation
            xb = torch.where(flip[:, None, None, None], xb.flip(3), xb)
            loss = F.cross_entropy(model.logits(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total_loss += float(loss) * len(idx)
        acc = count_correct(model, test_x, test_y) / len(test_x)
        print(f'epoch {epoch + 1}/{args.epochs}  loss {total_loss / len(xs):.4f}  '
              f'test acc {acc:.4f}  ({time.time() - t0:.0f} s)', flush=True)

    model.eval()
    full = count_correct(model, test_x, test_y)
    sub = count_correct(model, test_x[:TEST_SUBSET], test_y[:TEST_SUBSET])
    print(f'float test accuracy: full 10k {full / len(test_x):.4f} ({full}/{len(test_x)}), '
          f'first {TEST_SUBSET}: {sub / TEST_SUBSET:.4f} ({sub}/{TEST_SUBSET})', flush=True)

    model_path = os.path.join(args.out, 'model.onnx')
    torch.onnx.export(model, to_input(test_x[:2]), model_path, opset_version=13,
                      input_names=['input'], output_names=['probs'],
                      dynamic_axes={'input': {0: 'N'}, 'probs': {0: 'N'}},
                      do_constant_folding=True, training=torch.onnx.TrainingMode.EVAL)
    m = onnx.load(model_path)
    onnx.checker.check_model(m)
    ops = sorted({n.op_type for n in m.graph.node})
    size = os.path.getsize(model_path)
    print(f'wrote {model_path}: {size} bytes, ops {ops}', flush=True)

    info = {
        'model': 'model.onnx',
        'input': {'name': 'input', 'shape': ['N', 1, 28, 28], 'layout': 'NCHW',
                  'preprocessing': 'pixel / 255'},
        'output': {'name': 'probs', 'shape': ['N', 10], 'meaning': 'softmax class probabilities'},
        'classes': CLASSES,
        'opset': 13,
        'onnx_ops': ops,
        'parameters': sum(p.numel() for p in model.parameters()),
        'float_accuracy': {
            'test_10k': {'correct': full, 'total': int(len(test_x))},
            'test_first_1000': {'correct': sub, 'total': TEST_SUBSET},
        },
        'training': {'epochs': args.epochs, 'batch': args.batch, 'lr': args.lr,
                     'seed': args.seed, 'torch': torch.__version__},
        'data': {
            'test': {'images': 't10k-images-idx3-ubyte.gz', 'labels': 't10k-labels-idx1-ubyte.gz',
                     'count': TEST_SUBSET, 'from': 'first images of the Fashion-MNIST test split'},
            'calibration': {'images': 'train-images-idx3-ubyte.gz',
                            'labels': 'train-labels-idx1-ubyte.gz', 'count': CALIB_SUBSET,
                            'from': 'first images of the Fashion-MNIST training split'},
        },
    }
    with open(os.path.join(args.out, 'info.json'), 'w') as f:
        json.dump(info, f, indent=2)
        f.write('\n')


if __name__ == '__main__':
    main()
