#!/bin/sh
# ctest detect.corpus: generate the corpus of each seed 1-3 (20000 texts
# each) and check the built-in detectors' precision and recall on each.
#   run_corpus_check.sh <detect_corpus_eval binary> <corpus output path>
# The seed-1 corpus is written to the path, seeds 2 and 3 next to it
# (<path without .jsonl>.seed2.jsonl, ...). CORPUS_SEEDS overrides the seeds.
set -eu
eval_bin=$1
corpus=$2
here=$(cd "$(dirname "$0")" && pwd)
for seed in ${CORPUS_SEEDS:-1 2 3}; do
  out=$corpus
  if [ "$seed" != 1 ]; then out="${corpus%.jsonl}.seed$seed.jsonl"; fi
  echo "== seed $seed"
  python3 "$here/gen_corpus.py" --seed "$seed" --count 20000 --out "$out"
  "$eval_bin" --check --show-errors 20 "$out"
done
