#!/bin/bash
# Driver used for the shipped models: base model at the geometric-middle lambda, then
# a fine-tuned copy per quality. Run from the repository root:
#   nohup bash scripts/codec/run_all.sh > /tmp/codec_run_all.log 2>&1 &
# Env: BASE_MIN (default 36), FT_MIN (default 6), CKPT (default /work/codec-ckpt).
# For the shipped models this was stopped after its q1 fine-tune (the rate point moved too
# little at lr 2e-4); scripts/codec/run_finetune.sh then ran the per-quality fine-tunes.
set -e
BASE_MIN=${BASE_MIN:-36}
FT_MIN=${FT_MIN:-6}
CKPT=${CKPT:-/work/codec-ckpt}
PY=/usr/bin/python3
mkdir -p "$CKPT" models/codec
nice -n 15 $PY scripts/codec/train.py --lambda 0.0094 --minutes "$BASE_MIN" --lr 5e-4 --lr-final 2e-4 \
    --batch 8 --N 64 --M 128 --clip 4 --out "$CKPT/base.pt" > models/codec/base_train.log 2>&1
LAMBDAS=(0 0.0035 0.0067 0.013 0.025)
for q in 1 2 3 4; do
  mkdir -p models/codec/q$q
  nice -n 15 $PY scripts/codec/train.py --init "$CKPT/base.pt" --lambda ${LAMBDAS[$q]} --minutes "$FT_MIN" \
      --lr 2e-4 --lr-final 5e-5 --batch 8 --out "$CKPT/q$q.pt" > models/codec/q$q/train.log 2>&1
done
