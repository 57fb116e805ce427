#!/bin/sh
# ctest detect.corpus: generate the seed-1 corpus (20000 texts) and check the
# built-in detectors' precision and recall on it.
#   run_corpus_check.sh <detect_corpus_eval binary> <corpus output path>
set -eu
eval_bin=$1
corpus=$2
here=$(cd "$(dirname "$0")" && pwd)
python3 "$here/gen_corpus.py" --seed 1 --count 20000 --out "$corpus"
exec "$eval_bin" --check --show-errors 20 "$corpus"
