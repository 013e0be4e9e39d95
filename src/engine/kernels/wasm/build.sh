#!/bin/sh
# Builds kernels.wasm from kernels.c + elementwise.c + pool.c + gemm_f32.c (+ kernels.h); needs clang and wasm-ld
# (Debian: apt-get install clang lld). Shared imported memory (worker threads), SIMD128,
# no libc, no Emscripten glue.
# With no argument it rebuilds the committed kernels.wasm and records the hashes of the
# sources and the binary in kernels.wasm.json (checked by test/engine/wasm.test.ts); with
# a path it only builds there.
set -e
cd "$(dirname "$0")"
out="${1:-kernels.wasm}"
sources="kernels.h kernels.c elementwise.c pool.c gemm_f32.c"
clang --target=wasm32 -O3 -msimd128 -matomics -mbulk-memory -mmutable-globals -nostdlib -Wall -Wextra -Werror \
  -Wl,--no-entry -Wl,--import-memory -Wl,--shared-memory -Wl,--max-memory=2147483648 \
  -Wl,--export=__stack_pointer -Wl,--export=__heap_base -Wl,--strip-all \
  -o "$out" kernels.c elementwise.c pool.c gemm_f32.c
if [ -z "$1" ]; then
  {
    printf '{\n  "sources": {\n'
    sep=''
    for f in $sources; do
      printf '%s    "%s": "%s"' "$sep" "$f" "$(sha256sum "$f" | cut -d' ' -f1)"
      sep=',
'
    done
    printf '\n  },\n  "wasm": "%s"\n}\n' "$(sha256sum kernels.wasm | cut -d' ' -f1)"
  } > kernels.wasm.json
fi
