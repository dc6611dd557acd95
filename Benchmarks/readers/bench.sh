#!/usr/bin/env bash
# Reader timings and peak memory: TCMScope's reader (file → float32 matrix), ZIPFoundation 0.9.20
# (member → bytes only), numpy.load (member → ndarray). Same run, interleaved, 3 repeats.
# Build both harnesses first (`swift build -c release` in tcmbench/ and zfbench/, see the note in
# tcmbench/Package.swift), make big_stored.npz, big_deflated.npz, big.safetensors and big.npy
# (60,000 × 512 float32 with labels, np.savez / np.savez_compressed / safetensors.numpy.save_file /
# np.save), and run this script in the folder holding them.
HERE=$(cd "$(dirname "$0")" && pwd)
TB=$HERE/tcmbench/.build/release/tcmbench; ZB=$HERE/zfbench/.build/release/zfbench
for rep in 1 2 3; do
  for f in big_stored.npz big_deflated.npz; do
    /usr/bin/time -f "  peak %M KB" $TB $f 2>&1 | tr '\n' ' '; echo " [$f]"
    /usr/bin/time -f "  peak %M KB" $ZB zf $f embeddings.npy 2>&1 | tr '\n' ' '; echo " [$f]"
    /usr/bin/time -f "  peak %M KB" python3 -c "
import time, numpy as np; t=time.time(); a=np.load('$f')['embeddings']; print('numpy %.3f s' % (time.time()-t), a.shape)" 2>&1 | tr '\n' ' '; echo " [$f]"
  done
  /usr/bin/time -f "  peak %M KB" $TB big.safetensors 2>&1 | tr '\n' ' '; echo " [big.safetensors]"
  /usr/bin/time -f "  peak %M KB" python3 -c "
import time; from safetensors.numpy import load_file; t=time.time(); a=load_file('big.safetensors')['embeddings']; print('safetensors.numpy %.3f s' % (time.time()-t), a.shape)" 2>&1 | tr '\n' ' '; echo " [big.safetensors]"
  /usr/bin/time -f "  peak %M KB" $TB big.npy 2>&1 | tr '\n' ' '; echo " [big.npy]"
  /usr/bin/time -f "  peak %M KB" python3 -c "import numpy" 2>&1 | tr '\n' ' '; echo " [python+numpy import only]"
done
