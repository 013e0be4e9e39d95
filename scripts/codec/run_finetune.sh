#!/bin/bash
# Second fine-tuning schedule actually used (after run_all.sh's base model and its first
# 6-minute q1 fine-tune at lr 2e-4 moved the rate point too little): higher lr, per quality.
#   nohup bash scripts/codec/run_finetune.sh > /tmp/codec_run_ft.log 2>&1 &
set -e
CKPT=${CKPT:-/work/codec-ckpt}
PY=/usr/bin/python3
ft() {  # q lambda init minutes
  nice -n 15 $PY scripts/codec/train.py --init "$3" --lambda "$2" --minutes "$4" \
      --lr 5e-4 --lr-final 2e-4 --batch 8 --out "$CKPT/q$1.pt" > models/codec/q$1/train.log 2>&1
}
ft 4 0.025  "$CKPT/base.pt" 6
ft 1 0.0035 "$CKPT/q1.pt"   5
ft 3 0.013  "$CKPT/base.pt" 4
ft 2 0.0067 "$CKPT/base.pt" 4
