#!/usr/bin/env bash
# The faults a run directory meets (another run's files, damaged histories, a contradicting case,
# another backend, MNIST in another order, kills mid-save, planted locks, a full disk, read-only
# folders, undecodable input), each tried on tiny runs with the installed keras-reg-* commands.
# One line per scenario: exit status, tracebacks printed, the command's last line; then what was
# checked. A manual check beside the tests (which cover each family): it needs root (a tmpfs for a
# full disk, a read-only bind mount), the MNIST cache and JAX, and takes about 4 minutes on 2 cores.
#   bash tests/scenarios/faults.sh > tests/scenarios/faults.out 2>&1
set -u
echo "keras-reg $(git -C "$(dirname "$0")" rev-parse --short HEAD), $(date -u +%F)"
W=$(mktemp -d /tmp/scen.XXXX); cd "$W"
trap 'cd /; umount /mnt/small 2>/dev/null; umount /mnt/ro 2>/dev/null; rm -rf "$W"' EXIT
G=(--train_examples=500 --test_examples=200 --batch_size=50)  # grids draw no progress bar
T=("${G[@]}" --noprogress)
try() {  # name, command...
  local name=$1; shift
  local out rc last tb
  out=$("$@" 2>&1); rc=$?
  last=$(printf '%s\n' "$out" | grep -v '^\s*$' | tail -1)
  tb=$(printf '%s\n' "$out" | grep -c Traceback)
  printf '%-34s exit %s  tracebacks %s  | %s\n' "$name" "$rc" "$tb" "${last:0:230}"
}
check() { printf '%-34s %s\n' "  check" "$*"; }
fresh() { rm -rf "$2"; cp -r "base/$1" "$2"; rm -f "$2/.lock"; }

# Base runs: standard and L2, 1 epoch (checkpoint kept); standard finished at 2 epochs.
keras-reg-train --case=standard "${T[@]}" --epochs=1 --out_dir=base/s1 >/dev/null 2>&1
keras-reg-train --case=l2 "${T[@]}" --epochs=1 --out_dir=base/l1 >/dev/null 2>&1
keras-reg-train --case=standard "${T[@]}" --epochs=2 --out_dir=base/s2 >/dev/null 2>&1
ls base/s1/checkpoint.npz base/l1/checkpoint.npz base/s2/model.keras >/dev/null || { echo "base runs failed"; exit 1; }

echo "== 1-2. a checkpoint or config.json of another run"
fresh s1 r1; cp base/l1/checkpoint.npz r1/
try "L2 checkpoint in a standard run" keras-reg-train --case=standard "${T[@]}" --epochs=2 --out_dir=r1
fresh s1 r2; sed -i 's/"learning_rate": 0.5/"learning_rate": 0.3/' r2/config.json
try "config.json lr edited by hand" keras-reg-train --case=standard "${T[@]}" --epochs=2 --learning_rate=0.3 --out_dir=r2

echo "== 3. a finished run's history.csv damaged, checkpoint intact"
for damage in nan inf acc7.5 negloss reversed onevalue; do
  fresh s2 h; python - "$damage" <<'EOF'
import sys
lines = open("h/history.csv").read().splitlines()
row = lines[1].split(",")
d = sys.argv[1]
if d == "reversed":
    lines = [lines[0], lines[2], lines[1]]
else:
    col, value = {"nan": (4, "nan"), "inf": (3, "inf"), "acc7.5": (2, "7.5"), "negloss": (1, "-1.0"), "onevalue": (4, "0.1234")}[d]
    row[col] = value
    lines[1] = ",".join(row)
open("h/history.csv", "w").write("\n".join(lines) + "\n")
EOF
  try "history $damage" keras-reg-train --case=standard "${T[@]}" --epochs=2 --out_dir=h
  cmp -s h/history.csv base/s2/history.csv && check "history.csv equals the original again" || check "history.csv DIFFERS from the original"
done

echo "== 4. make_figures on damaged or misplaced runs (no checkpoints, as committed runs)"
mk_runs() { rm -rf figs runs; mkdir -p runs/standard; cp -r base/s2 runs/standard/seed_0; rm -f runs/standard/seed_0/checkpoint.npz runs/standard/seed_0/.lock; }
for damage in nan inf acc7.5 negloss reversed duplicate; do
  mk_runs; python - "$damage" <<'EOF'
import sys
p = "runs/standard/seed_0/history.csv"
lines = open(p).read().splitlines()
row = lines[1].split(","); d = sys.argv[1]
if d == "reversed": lines = [lines[0], lines[2], lines[1]]
elif d == "duplicate": lines = [lines[0], lines[1], lines[1]]
else:
    col, value = {"nan": (4, "nan"), "inf": (3, "inf"), "acc7.5": (2, "7.5"), "negloss": (1, "-1.0")}[d]
    row[col] = value; lines[1] = ",".join(row)
open(p, "w").write("\n".join(lines) + "\n")
EOF
  try "figures: history $damage" keras-reg-figures --runs_dir=runs --out_dir=figs
done
mk_runs; mkdir -p runs/standard/seed_1; head -1 runs/standard/seed_0/history.csv > runs/standard/seed_1/history.csv
try "figures: a header-only seed" keras-reg-figures --runs_dir=runs --out_dir=figs
mk_runs; mkdir -p runs/dropout; cp -r base/l1 runs/dropout/seed_0; rm -f runs/dropout/seed_0/checkpoint.npz
try "figures: an L2 run under dropout/" keras-reg-figures --runs_dir=runs --out_dir=figs

echo "== 5. a case and a flag that contradicts it"
try "--case=dropout --regularizer=l2" keras-reg-train --case=dropout --regularizer=l2 "${T[@]}" --epochs=1 --out_dir=c5
check "c5 exists: $([ -e c5 ] && echo yes || echo no)"

echo "== 6. a TensorFlow run extended on JAX"
fresh s1 b6
try "KERAS_BACKEND=jax resume" env KERAS_BACKEND=jax keras-reg-train --case=standard "${T[@]}" --epochs=2 --out_dir=b6
try "  ... --allow_backend_change" env KERAS_BACKEND=jax keras-reg-train --case=standard "${T[@]}" --epochs=2 --allow_backend_change --out_dir=b6
check "backend_changes: $(python -c 'import json; print(json.load(open("b6/config.json")).get("backend_changes"))')"
rm -rf g6; mkdir -p g6/runs/standard; cp -r base/s1 g6/runs/standard/seed_0; rm -f g6/runs/standard/seed_0/.lock
try "grid: KERAS_BACKEND=jax resume" env KERAS_BACKEND=jax keras-reg-run --cases=standard --seeds=0 "${G[@]}" --epochs=2 --out_dir=g6 --train_only
try "  ... --allow_backend_change" env KERAS_BACKEND=jax keras-reg-run --cases=standard --seeds=0 "${G[@]}" --epochs=2 --out_dir=g6 --train_only --allow_backend_change

echo "== 7. MNIST's labels shuffled in the cache, digest updated"
mkdir -p cache7; python - <<'EOF'
import hashlib, os, numpy as np
src = os.path.expanduser("~/.cache/keras_reg/mnist.npz")
with np.load(src) as f: a = {k: f[k] for k in f.files}
a["y_train"] = np.random.default_rng(0).permutation(a["y_train"])
np.savez_compressed("cache7/mnist.npz", **a)
open("cache7/mnist.npz.sha256", "w").write(hashlib.sha256(open("cache7/mnist.npz", "rb").read()).hexdigest())
EOF
try "shuffled labels, --data_source=cache" env KERAS_REG_CACHE="$W/cache7" keras-reg-train "${T[@]}" --epochs=1 --data_source=cache --out_dir=r7
python -c "import numpy as np; f=np.load('$HOME/.cache/keras_reg/mnist.npz'); a={k:f[k] for k in f.files}; i=np.random.default_rng(0).permutation(60000); a['x_train']=a['x_train'][i]; a['y_train']=a['y_train'][i]; np.savez_compressed('shuffled.npz', **a)"
try "MNIST in another order (a file)" keras-reg-train "${T[@]}" --epochs=1 --data_source="$W/shuffled.npz" --out_dir=r7b

echo "== 8. killed while the end-of-run files were written; leftovers"
fresh s2 k8; rm k8/model.keras k8/weights.json; echo partial > k8/.model.partial.keras; echo x > k8/.checkpoint.npz.123.tmp
try "rerun after a kill mid-save" keras-reg-train --case=standard "${T[@]}" --epochs=2 --out_dir=k8
check "model.keras $(ls k8/model.keras 2>/dev/null), weights.json $(ls k8/weights.json 2>/dev/null), leftovers: $(ls -A k8 | grep -c -E '^\..*(tmp|partial)')"
mkdir -p "/tmp/keras_reg_data_999999_x"; echo 1 > /tmp/keras_reg_data_999999_x/a.npy
rm -rf g8; try "a grid after a killed grid" keras-reg-run --cases=standard,l2 --seeds=0 "${G[@]}" --epochs=1 --workers=2 --out_dir=g8 --train_only
check "the killed grid's shared data: $([ -e /tmp/keras_reg_data_999999_x ] && echo still there || echo removed)"

echo "== 9. the lock"
echo "victim" > victim; fresh s1 l9; ln -s "$W/victim" l9/.lock
try ".lock a symlink" keras-reg-train --case=standard "${T[@]}" --epochs=2 --out_dir=l9
check "the link's target holds: $(cat victim)"
fresh s1 l9d; mkdir l9d/.lock; try ".lock a directory" keras-reg-train --case=standard "${T[@]}" --epochs=2 --out_dir=l9d
fresh s1 l9f; mkfifo l9f/.lock; try ".lock a FIFO" timeout 60 keras-reg-train --case=standard "${T[@]}" --epochs=2 --out_dir=l9f

echo "== 10. OS errors and undecodable input"
mount -t tmpfs -o size=64K tmpfs /mnt/small
try "disk full at the start" keras-reg-train --case=standard "${T[@]}" --epochs=1 --out_dir=/mnt/small/run
umount /mnt/small; mount -t tmpfs -o size=40M tmpfs /mnt/small
keras-reg-train --case=standard --train_examples=20000 --test_examples=200 --noprogress --epochs=6 --out_dir=/mnt/small/run > mid.log 2>&1 &
pid=$!
for _ in $(seq 600); do [ "$(cat /mnt/small/run/history.csv 2>/dev/null | wc -l)" -ge 3 ] && break; sleep 0.1; done
dd if=/dev/zero of=/mnt/small/filler bs=1M count=100 2>/dev/null
wait $pid; rc=$?
printf '%-34s exit %s  tracebacks %s  | %s\n' "disk full in the middle" "$rc" "$(grep -c Traceback mid.log)" "$(grep -v '^\s*$' mid.log | tail -1 | cut -c1-230)"
rows=$(($(wc -l < /mnt/small/run/history.csv) - 1)); rm /mnt/small/filler
try "  ... rerun after freeing space" keras-reg-train --case=standard --train_examples=20000 --test_examples=200 --noprogress --epochs=6 --out_dir=/mnt/small/run
check "rows kept after the fault: $rows; after the rerun: $(($(wc -l < /mnt/small/run/history.csv) - 1))"
mk_runs; dd if=/dev/zero of=/mnt/small/filler bs=1M count=100 2>/dev/null
try "disk full while drawing figures" keras-reg-figures --runs_dir=runs --out_dir=/mnt/small/figs
mkdir -p /tmp/ro_src; mount --bind /tmp/ro_src /mnt/ro; mount -o remount,bind,ro /mnt/ro
try "figures --out_dir read-only" keras-reg-figures --runs_dir=runs --out_dir=/mnt/ro/figs
try "train --out_dir read-only" keras-reg-train "${T[@]}" --epochs=1 --out_dir=/mnt/ro/run
echo x > afile; try "figures --out_dir a file" keras-reg-figures --runs_dir=runs --out_dir=afile
fresh s1 d10; rm d10/config.json; mkdir d10/config.json; try "config.json a directory" keras-reg-train --case=standard "${T[@]}" --epochs=2 --out_dir=d10
fresh s1 d11; rm d11/history.csv; mkdir d11/history.csv; try "history.csv a directory" keras-reg-train --case=standard "${T[@]}" --epochs=2 --out_dir=d11
mkdir -p cache10; cp ~/.cache/keras_reg/mnist.npz cache10/; head -c 64 /dev/urandom > cache10/mnist.npz.sha256
try "a garbage mnist.npz.sha256" env KERAS_REG_CACHE="$W/cache10" keras-reg-train "${T[@]}" --epochs=1 --data_source=cache --out_dir=r10
mk_runs; python -c "import json; json.dump({'nope': 1}, open('runs/standard/seed_0/weights.json', 'w'))"
try "weights.json with wrong keys" keras-reg-figures --runs_dir=runs --out_dir=figs
keras-reg-train --experiment=planar --case=none --epochs=1000 --noprogress --out_dir=pl/runs/none/seed_0 >/dev/null 2>&1
cp base/s2/model.keras pl/runs/none/seed_0/model.keras
try "planar model.keras a paper MLP's" keras-reg-figures --experiment=planar --runs_dir=pl/runs --out_dir=pl/figs
head -c 200 /dev/urandom > garbage.flags; try "--flagfile of binary garbage" keras-reg-train --flagfile=garbage.flags
try "KERAS_BACKEND=nope" env KERAS_BACKEND=nope keras-reg-train --epochs=1
try "KERAS_BACKEND=torch (not installed)" env KERAS_BACKEND=torch keras-reg-train --epochs=1
try "--train_only --report_only" keras-reg-run --train_only --report_only
