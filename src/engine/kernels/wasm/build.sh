#!/bin/sh
# Builds kernels.wasm from kernels.c (needs clang and wasm-ld; Debian: apt-get install clang lld).
# Shared imported memory (worker threads), SIMD128, no libc, no Emscripten glue.
# With no argument it rebuilds the committed kernels.wasm and records both hashes in
# kernels.wasm.json (checked by test/engine/wasm.test.ts); with a path it only builds there.
set -e
cd "$(dirname "$0")"
out="${1:-kernels.wasm}"
clang --target=wasm32 -O3 -msimd128 -matomics -mbulk-memory -mmutable-globals -nostdlib -Wall -Wextra -Werror \
  -Wl,--no-entry -Wl,--import-memory -Wl,--shared-memory -Wl,--max-memory=2147483648 \
  -Wl,--export=__stack_pointer -Wl,--export=__heap_base -Wl,--strip-all \
  -o "$out" kernels.c
if [ -z "$1" ]; then
  printf '{\n  "source": "%s",\n  "wasm": "%s"\n}\n' "$(sha256sum kernels.c | cut -d' ' -f1)" "$(sha256sum kernels.wasm | cut -d' ' -f1)" > kernels.wasm.json
fi
