#!/bin/bash
# Instructions per repetition of one workload of edges_micro.py on an engine tree: callgrind's
# totals at R1 and R2 repetitions, their difference divided by R2 - R1 (start-up cancels out).
# Usage: PYTHONHASHSEED=0 [R1=2 R2=4] benchmarks/count_instructions.sh TREE chain|mlp|tmlp
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1; R1=${R1:-2}; R2=${R2:-4}
tree=$1; w=$2
for r in $R1 $R2; do
  valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.$$.$r ${PYTHON:-python3} $(dirname "$0")/edges_micro.py $tree $w $r 2>&1 | grep -o "Collected : [0-9]*" | grep -o "[0-9]*" > /tmp/cg.$$.$r.n
done
echo "$tree $w $(( ($(cat /tmp/cg.$$.$R2.n) - $(cat /tmp/cg.$$.$R1.n)) / ($R2 - $R1) ))"
rm -f /tmp/cg.$$.*
