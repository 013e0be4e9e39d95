#!/usr/bin/python3
"""Writes a checkpoint with only the entropy bottleneck's weights (a few KB), for
train.py --init SLIM --init-onnx models/codec/qN, which takes the transform weights
from the committed ONNX exports. Used to continue training on the lent GPU machine,
where everything that travels (tracked files + carried folders) must stay under 64 MiB.

  /usr/bin/python3 scripts/codec/slim_checkpoint.py IN.pt OUT.pt
"""
import sys

import torch

if len(sys.argv) != 3:
    raise SystemExit(__doc__)
ck = torch.load(sys.argv[1], map_location='cpu')
keep = {k: v for k, v in ck['model'].items() if k.startswith('entropy_bottleneck.')}
slim = {k: v for k, v in ck.items() if k not in ('model', 'opt', 'aux_opt')}
slim['model'] = keep
torch.save(slim, sys.argv[2])
print('%s: %d entropy-bottleneck tensors' % (sys.argv[2], len(keep)))
