#!/bin/bash
# Trains the four shipped quality levels at once on one GPU (the session's lent device
# machine), from scratch, on the packed wallpaper images (prepare_data.py --pack .codecpack).
#   bash scripts/codec/gpu_train.sh start   # launches the four runs detached (setsid), returns
#   bash scripts/codec/gpu_train.sh status  # last log lines; copies the latest checkpoints to $OUT
#   bash scripts/codec/gpu_train.sh wait    # waits for the runs to end, then status
# Env: MINUTES (default 22), CK (default /tmp/codec-ck), PACK (default .codecpack),
#      BATCH (16), LR (3e-4), DECAY (0.55: fraction of the time at LR before the linear decay
#      to 1e-5), INIT (a folder with slim q1.pt..q5.pt from slim_checkpoint.py: continue the
#      committed models/codec/qN weights with a fresh optimizer and a 300-iteration warm-up),
#      EXTRA (more train.py flags, e.g. "--ste --amp"), QUALITIES (default "1 2 3 4 5").
# Session 3 trained from scratch with the defaults; session 4 continued those checkpoints with
#   INIT=.codec-init BATCH=32 LR=2e-4 DECAY=0.45 MINUTES=21
# Session 6 continued those, on 72 images (prepare_data.py now adds 22 textured photographs), with
#   INIT=.codec-init BATCH=32 LR=1e-4 DECAY=0.35 MINUTES=MIN EXTRA="--ste --amp"
# Session 8 continued those for 20 more minutes and added a fifth, lower rate point (lambda
#   0.0018, started from the lambda-0.0035 weights), with
#   INIT=.codec-init BATCH=32 LR=1e-4 DECAY=0.4 MINUTES=20 EXTRA="--ste --amp" PACK=.codecpack-gpu
#   (the qualities were numbered 1-4 then, the new point ran as q0 from q1's files; they are 1-5 now)
set -u
MINUTES=${MINUTES:-22}
BATCH=${BATCH:-16}
LR=${LR:-3e-4}
DECAY=${DECAY:-0.55}
INIT=${INIT:-}
EXTRA=${EXTRA:-}
CK=${CK:-/tmp/codec-ck}
PACK=${PACK:-.codecpack}
QUALITIES=${QUALITIES:-1 2 3 4 5}
LAMBDAS=(0 0.0018 0.0035 0.0067 0.013 0.025)
case "${1:-}" in
start)
  mkdir -p "$CK"
  nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
  for q in $QUALITIES; do
    init=(); if [ -n "$INIT" ]; then init=(--init "$INIT/q$q.pt" --init-onnx "models/codec/q$q" --warmup 300); fi
    PYTHONUNBUFFERED=1 setsid nohup python3 scripts/codec/train.py --images "$PACK" --device cuda \
      --crop 256 --batch "$BATCH" --lambda ${LAMBDAS[$q]} --minutes "$MINUTES" --lr "$LR" --lr-final 1e-5 \
      --decay-start "$DECAY" "${init[@]}" --N 64 --M 128 --clip 4 --seed $q --log-every ${LOGEVERY:-500} --save-minutes 2 \
      --no-opt-state --threads 3 $EXTRA --out "$CK/q$q.pt" > "$CK/q$q.log" 2>&1 < /dev/null &
  done
  sleep 60; tail -n 2 "$CK"/q*.log ;;
status|wait)
  if [ "$1" = wait ]; then while pgrep -f scripts/codec/train.py > /dev/null; do sleep 5; done; fi
  tail -n 3 "$CK"/q*.log
  # the checkpoints, and the logs as one tar (a run brings back a limited number of files)
  if [ -n "${OUT:-}" ]; then cp "$CK"/q*.pt "$OUT"/ 2>/dev/null; (cd "$CK" && tar -cf "$OUT/logs.tar" q*.log); fi ;;
*) echo "usage: $0 start|status|wait" >&2; exit 2 ;;
esac
