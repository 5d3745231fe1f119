#!/usr/bin/env bash
# Side-by-side speed/accuracy comparison of metarec against peer libraries.
#
# Expects (and never builds anything itself):
#   METAREC_PEERS  folder with the peers built from their own sources (default /work/peers):
#                    libmf/mf-train, libmf/mf-predict          (cjlin1/libmf, `make`)
#                    libfm/bin/libFM                           (srendle/libfm, `make all`)
#                    qmf/build/bin/wals or qmf/bin/wals        (quora/qmf, cmake)
#                    Surprise/surprise (in-place Cython build) (NicolasHug/Surprise)
#                    implicit/implicit (in-place Cython build) (benfred/implicit)
#                  A peer that is absent is skipped ("skip: <peer> not found").
#   METAREC_BIN    the metarec CLI (default: build/metarec of this checkout)
#   METAREC_DATA   data root (default: ../shared/data beside the checkout)
# Optional:
#   METAREC_THREADS (2)   threads for every multi-threaded tool (Surprise is single-threaded)
#   COMPARE_ONLY          comma list of sections to run: libmf,libfm,surprise,implicit,qmf (default),
#                         and syn10m (opt-in: SGD MF per epoch on ~9.7M synthetic ratings; SYN10M_DIR)
#   PYTHON (/usr/bin/python3), SEED (42), KEEP_TMP=1 keeps the temp dir, COMPARE_TSV=FILE
#   copies the result table as TSV, LIBFM_DIM ('1,1,8'), LIBFM_ITER (100),
#   IALS_REG (50), IALS_ALPHA (2) shared by implicit ALS, QMF WALS and metarec ials. Confidence of
#   an observed pair: 1 + IALS_ALPHA in metarec and QMF, but implicit's confidence is its alpha
#   itself, so implicit gets alpha = 1 + IALS_ALPHA (the same model). Regularization is unscaled in
#   all three. (reg 0.05 / alpha 40, the old defaults, give precision@10 ~0.22 on ML-1M for
#   implicit and metarec; reg 50 / alpha 2 give ~0.38.)
#
# Seconds: CLI peers (LIBMF, libFM): process wall time; Surprise: fit+test inside python;
# metarec section a: fit_seconds+eval_seconds; section b (all tools): fit time only.
# Peak MiB: /usr/bin/time %M of the process. Ratio = peer seconds / metarec seconds.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PEERS=${METAREC_PEERS:-/work/peers}
DATA=${METAREC_DATA:-$ROOT/../shared/data}
METAREC=${METAREC_BIN:-$ROOT/build/metarec}
THREADS=${METAREC_THREADS:-2}
PY=${PYTHON:-/usr/bin/python3}
SEED=${SEED:-42}
ONLY=${COMPARE_ONLY:-libmf,libfm,surprise,implicit,qmf}
LIBFM_DIM=${LIBFM_DIM:-1,1,8}
LIBFM_ITER=${LIBFM_ITER:-100}
IALS_REG=${IALS_REG:-50}
IALS_ALPHA=${IALS_ALPHA:-2}
IMPLICIT_ALPHA=$(awk -v a="$IALS_ALPHA" 'BEGIN{print 1 + a}')
TIME=/usr/bin/time

die() { echo "compare_peers: $*" >&2; exit 1; }
[[ -x $TIME ]] || die "$TIME is missing (apt-get install time)"
[[ -x $PY ]] || die "python3 not found at $PY (set PYTHON)"
[[ -d $DATA ]] || die "data root $DATA not found (set METAREC_DATA)"
DATA=$(cd "$DATA" && pwd)
want() { [[ ",$ONLY," == *",$1,"* ]]; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/compare_peers.XXXXXX")
if [[ ${KEEP_TMP:-0} == 1 ]]; then echo "temp dir: $TMP"; else trap 'rm -rf "$TMP"' EXIT; fi
RESULTS=$TMP/results.tsv
: >"$RESULTS"

# ---------------------------------------------------------------- helpers
# timed NAME CMD...: run CMD with stdout/stderr in $TMP/NAME.{out,err}; sets WALL (s), PEAK (MiB), RC.
timed() {
  local name=$1; shift
  "$TIME" -f "%e %M" -o "$TMP/$name.time" "$@" </dev/null >"$TMP/$name.out" 2>"$TMP/$name.err"
  RC=$?
  read -r WALL PEAK_KIB < <(tail -1 "$TMP/$name.time" 2>/dev/null)
  [[ ${WALL:-} =~ ^[0-9.]+$ ]] || { WALL=nan; PEAK_KIB=0; }
  PEAK=$(awk -v k="$PEAK_KIB" 'BEGIN{printf "%.0f", k/1024}')
  if [[ $RC != 0 ]]; then
    echo "  FAILED ($name, rc=$RC): $(tail -3 "$TMP/$name.err" | tr '\n' ' ')" >&2
  fi
}
plabel() { local o=() x; for x in "$@"; do [[ $x == -p ]] || o+=("$x"); done; echo "${o[*]}"; }
fmt() { awk -v x="$1" -v p="${2:-4}" 'BEGIN{ if (x ~ /[0-9]/ && x ~ /^[-+0-9.eE]+$/) printf "%.*f", p, x; else printf "%s", x }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a ~ /[0-9]/ && b ~ /[0-9]/ && a ~ /^[-+0-9.eE]+$/ && b ~ /^[-+0-9.eE]+$/ && b > 0) printf "%.2f", a/b; else printf "-" }'; }
# row SECTION PEER ALGO METRIC VALUE SECONDS PEAK MR_ALGO MR_VALUE MR_SECONDS MR_PEAK
row() {
  local r; r=$(ratio "$6" "${10}")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$(fmt "$5")" "$(fmt "$6" 2)" \
    "$7" "$8" "$(fmt "$9")" "$(fmt "${10}" 2)" "${11}" "$r" >>"$RESULTS"
}

# metarec catalog
MR_OK=0
if [[ -x $METAREC ]]; then
  if CATALOG=$("$METAREC" algorithms 2>/dev/null | awk 'seen && NF {print $1} /^---/ {seen=1}'); [[ -n $CATALOG ]]; then
    MR_OK=1
    echo "metarec: $METAREC ($(date -r "$METAREC" '+%F %T'), $("$METAREC" --version 2>/dev/null | head -1))"
  fi
fi
[[ $MR_OK == 1 ]] || echo "skip: metarec not found ($METAREC; build it or set METAREC_BIN)"
mr_has() { [[ $MR_OK == 1 ]] && grep -qx "$1" <<<"$CATALOG"; }
declare -A MR_PARAMS_CACHE
mr_params_of() {
  if [[ -z ${MR_PARAMS_CACHE[$1]+x} ]]; then
    MR_PARAMS_CACHE[$1]=$("$METAREC" algorithms "$1" 2>/dev/null | awk 'seen && NF {print} /^---/ {seen=1}')
  fi
  printf '%s\n' "${MR_PARAMS_CACHE[$1]}"
}
# mr_p ALGO "name1 name2 ..." VALUE: "-p NAME=VALUE" for the first listed parameter ALGO has.
mr_p() {
  local n
  for n in $2; do
    if mr_params_of "$1" | awk -v n="$n" '$1 == n {f=1} END {exit !f}'; then echo "-p $n=$3"; return; fi
  done
}
# mr_p_choice ALGO "name1 ..." VALUE: like mr_p but only when VALUE appears in that parameter's line.
mr_p_choice() {
  local n
  for n in $2; do
    if mr_params_of "$1" | awk -v n="$n" -v v="$3" '$1 == n && index($0, v) {f=1} END {exit !f}'; then
      echo "-p $n=$3"; return
    fi
  done
}
# json_get FILE KEY: mean[KEY] (KEY may be fit_seconds / eval_seconds at top level)
json_get() {
  "$PY" - "$1" "$2" <<'EOF'
import json, sys
try:
    j = json.load(open(sys.argv[1]))
except Exception:
    print("nan"); sys.exit()
k = sys.argv[2]
v = j.get(k, j.get("mean", {}).get(k, "nan"))
print(v)
EOF
}
# run_metarec NAME ALGO DATASET METRIC_KEY SECONDS_KIND(fit|fit+eval) ARGS...: sets MR_VAL MR_SEC MR_PEAK MR_LABEL
declare -A MR_CACHE
run_metarec() {
  local name=$1 algo=$2 data=$3 key=$4 kind=$5; shift 5
  MR_VAL=-; MR_SEC=-; MR_PEAK=-; MR_LABEL="$algo"
  if [[ $MR_OK != 1 ]]; then MR_LABEL="-"; return; fi
  if ! mr_has "$algo"; then echo "skip: metarec $algo not in catalog"; MR_LABEL="($algo: n/a)"; return; fi
  local cache_key="$algo|$data|$key|$kind|$*"
  if [[ -n ${MR_CACHE[$cache_key]+x} ]]; then read -r MR_VAL MR_SEC MR_PEAK <<<"${MR_CACHE[$cache_key]}"; return; fi
  echo "  metarec evaluate $algo $data $* --json --threads $THREADS"
  timed "$name" "$METAREC" evaluate "$algo" "$data" "$@" --json --threads "$THREADS" --data-root "$DATA"
  if [[ $RC == 0 ]]; then
    MR_VAL=$(json_get "$TMP/$name.out" "$key")
    local fit ev
    fit=$(json_get "$TMP/$name.out" fit_seconds); ev=$(json_get "$TMP/$name.out" eval_seconds)
    if [[ $kind == fit ]]; then MR_SEC=$fit; else MR_SEC=$(awk -v a="$fit" -v b="$ev" 'BEGIN{print a+b}'); fi
    MR_PEAK=$PEAK
    echo "    -> $key=$(fmt "$MR_VAL") seconds=$(fmt "$MR_SEC" 2) (wall $WALL s, peak $PEAK MiB)"
  fi
  MR_CACHE[$cache_key]="$MR_VAL $MR_SEC $MR_PEAK"
}

# ================================================================ a) ML-100K u1 (rating prediction, RMSE)
U1B=$DATA/ml-100k/u1.base
U1T=$DATA/ml-100k/u1.test
if want libmf || want libfm || want surprise; then
  [[ -f $U1B && -f $U1T ]] || die "ML-100K u1 split not found under $DATA/ml-100k"
  echo "== a) ML-100K u1: $(wc -l <"$U1B") train / $(wc -l <"$U1T") test ratings"
fi

# ---- LIBMF vs funk_mf
if want libmf; then
  echo "-- LIBMF (k=64, 20 iterations, 2 threads) vs metarec funk_mf"
  P_VAL=-; P_SEC=-; P_PEAK=-
  if [[ -x $PEERS/libmf/mf-train && -x $PEERS/libmf/mf-predict ]]; then
    awk '{print $1" "$2" "$3}' "$U1B" >"$TMP/u1.base.mf"
    awk '{print $1" "$2" "$3}' "$U1T" >"$TMP/u1.test.mf"
    echo "  mf-train -k 64 -t 20 -s $THREADS u1.base.mf model; mf-predict -e 0 u1.test.mf model out"
    timed libmf_train "$PEERS/libmf/mf-train" -k 64 -t 20 -s "$THREADS" "$TMP/u1.base.mf" "$TMP/u1.mf.model"
    t1=$WALL; m1=$PEAK
    timed libmf_predict "$PEERS/libmf/mf-predict" -e 0 "$TMP/u1.test.mf" "$TMP/u1.mf.model" "$TMP/u1.mf.pred"
    P_VAL=$(awk '/RMSE/ {print $NF}' "$TMP/libmf_predict.out")
    P_SEC=$(awk -v a="$t1" -v b="$WALL" 'BEGIN{print a+b}')
    P_PEAK=$(( m1 > PEAK ? m1 : PEAK ))
    echo "    -> rmse=$P_VAL seconds=$P_SEC peak=$P_PEAK MiB"
  else
    echo "skip: LIBMF not found ($PEERS/libmf/mf-train)"
  fi
  run_metarec mr_funk_mf funk_mf ml-100k:u1 rmse fit+eval --metrics rmse -p factors=64 -p epochs=20
  row a LIBMF "MF k=64 t=20" rmse "$P_VAL" "$P_SEC" "$P_PEAK" "$MR_LABEL" "$MR_VAL" "$MR_SEC" "$MR_PEAK"
fi

# ---- libFM MCMC vs fm / fm_als
if want libfm; then
  echo "-- libFM MCMC (dim $LIBFM_DIM, $LIBFM_ITER iterations) vs metarec fm / fm_als"
  P_VAL=-; P_SEC=-; P_PEAK=-
  if [[ -x $PEERS/libfm/bin/libFM ]]; then
    # libsvm format: rating user:1 (max_user+item):1
    off=$(awk 'BEGIN{m=0} $1>m {m=$1} END{print m}' "$U1B" "$U1T")
    awk -v o="$off" '{print $3" "$1":1 "($2+o)":1"}' "$U1B" >"$TMP/u1.base.libfm"
    awk -v o="$off" '{print $3" "$1":1 "($2+o)":1"}' "$U1T" >"$TMP/u1.test.libfm"
    echo "  libFM -task r -train u1.base.libfm -test u1.test.libfm -dim '$LIBFM_DIM' -iter $LIBFM_ITER -method mcmc -init_stdev 0.1 -seed $SEED"
    timed libfm "$PEERS/libfm/bin/libFM" -task r -train "$TMP/u1.base.libfm" -test "$TMP/u1.test.libfm" \
      -dim "$LIBFM_DIM" -iter "$LIBFM_ITER" -method mcmc -init_stdev 0.1 -seed "$SEED"
    P_VAL=$(grep -o 'Test=[0-9.]*' "$TMP/libfm.out" | tail -1 | cut -d= -f2)
    P_SEC=$WALL; P_PEAK=$PEAK
    echo "    -> rmse=$P_VAL seconds=$P_SEC peak=$P_PEAK MiB"
  else
    echo "skip: libFM not found ($PEERS/libfm/bin/libFM)"
  fi
  fm_dim=${LIBFM_DIM##*,}
  fm_algos=()
  for a in fm_mcmc fm fm_als; do mr_has "$a" && fm_algos+=("$a"); done
  [[ ${#fm_algos[@]} == 0 ]] && fm_algos=(fm_mcmc)
  for a in "${fm_algos[@]}"; do
    args=()
    if mr_has "$a"; then
      read -ra args <<<"$(mr_p "$a" "factors dim k" "$fm_dim") $(mr_p "$a" "iterations epochs iter" "$LIBFM_ITER") $(mr_p_choice "$a" "method solver optimizer" mcmc)"
    fi
    run_metarec "mr_$a" "$a" ml-100k:u1 rmse fit+eval --metrics rmse "${args[@]}"
    row a libFM "MCMC dim=$LIBFM_DIM it=$LIBFM_ITER" rmse "$P_VAL" "$P_SEC" "$P_PEAK" "$MR_LABEL $(plabel "${args[@]}")" "$MR_VAL" "$MR_SEC" "$MR_PEAK"
  done
fi

# ---- Surprise vs svd, svdpp, knn_baseline, slope_one, bias
if want surprise; then
  echo "-- Surprise (single-threaded) vs metarec"
  HAVE_SURPRISE=0
  if [[ -d $PEERS/Surprise/surprise ]] && PYTHONPATH=$PEERS/Surprise "$PY" -c "import surprise.prediction_algorithms.matrix_factorization" 2>/dev/null; then
    HAVE_SURPRISE=1
  else
    echo "skip: Surprise not found ($PEERS/Surprise)"
  fi
  cat >"$TMP/surprise_run.py" <<'EOF'
import sys, time
from surprise import Dataset, Reader, accuracy, SVD, SVDpp, KNNBaseline, SlopeOne, BaselineOnly
from surprise.model_selection import PredefinedKFold
name, base, test, seed = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
data = Dataset.load_from_folds([(base, test)], Reader(line_format="user item rating timestamp", sep="\t"))
trainset, testset = next(PredefinedKFold().split(data))
algo = {
    "SVD": lambda: SVD(n_factors=100, n_epochs=20, random_state=seed),
    "SVDpp": lambda: SVDpp(n_factors=20, n_epochs=20, random_state=seed),
    "KNNBaseline": lambda: KNNBaseline(k=40, sim_options={"name": "pearson_baseline", "user_based": False},
                                       bsl_options={"method": "als", "reg_u": 15, "reg_i": 10, "n_epochs": 10},
                                       verbose=False),
    "SlopeOne": lambda: SlopeOne(),
    "BaselineOnly": lambda: BaselineOnly(bsl_options={"method": "als", "reg_u": 15, "reg_i": 10, "n_epochs": 10},
                                         verbose=False),
}[name]()
t0 = time.perf_counter()
algo.fit(trainset)
t1 = time.perf_counter()
preds = algo.test(testset)
t2 = time.perf_counter()
print("RESULT rmse %.6f fit %.4f test %.4f" % (accuracy.rmse(preds, verbose=False), t1 - t0, t2 - t1))
EOF
  # peer name | surprise algo | metarec algo | metarec params (matched to Surprise's settings)
  while IFS='|' read -r label salgo malgo mparams; do
    P_VAL=-; P_SEC=-; P_PEAK=-
    if [[ $HAVE_SURPRISE == 1 ]]; then
      echo "  Surprise $salgo ($label)"
      timed "surprise_$salgo" env PYTHONPATH="$PEERS/Surprise" "$PY" "$TMP/surprise_run.py" "$salgo" "$U1B" "$U1T" "$SEED"
      if [[ $RC == 0 ]]; then
        read -r _ _ P_VAL _ fit _ tst < <(grep '^RESULT' "$TMP/surprise_$salgo.out")
        P_SEC=$(awk -v a="$fit" -v b="$tst" 'BEGIN{print a+b}'); P_PEAK=$PEAK
        echo "    -> rmse=$P_VAL seconds(fit+test)=$P_SEC (fit $fit, test $tst; process wall $WALL s) peak=$P_PEAK MiB"
      fi
    fi
    read -ra margs <<<"$mparams"
    run_metarec "mr_$malgo" "$malgo" ml-100k:u1 rmse fit+eval --metrics rmse "${margs[@]}"
    row a Surprise "$label" rmse "$P_VAL" "$P_SEC" "$P_PEAK" "$MR_LABEL${mparams:+ ${mparams//-p /}}" "$MR_VAL" "$MR_SEC" "$MR_PEAK"
  done <<'EOF'
SVD k=100 e=20|SVD|svd|-p factors=100 -p epochs=20
SVD k=100 e=20 (metarec at matched RMSE)|SVD|svd|-p factors=8 -p epochs=10
SVD++ k=20 e=20|SVDpp|svdpp|-p factors=20 -p epochs=20
KNNBaseline k=40 item pearson_bsl|KNNBaseline|knn_baseline|-p k=40 -p user_based=false -p similarity=pearson_baseline
SlopeOne|SlopeOne|slope_one|
BaselineOnly als|BaselineOnly|bias|-p reg_user=15 -p reg_item=10 -p epochs=10
EOF
fi

# ================================================================ b) ML-1M implicit pairs (precision@10)
if want implicit || want qmf; then
  PAIRS=$DATA/ml-1m/implicit_pairs.tsv
  [[ -f $PAIRS ]] || die "$PAIRS not found"
  S=$TMP/ml1m
  mkdir -p "$S"
  # Can metarec read a given split from a card file of our own ("card.json:SPLIT")?
  MODE=files
  if [[ $MR_OK == 1 ]]; then
    mkdir -p "$TMP/probe"
    printf '1\t1\n1\t2\n2\t1\n' >"$TMP/probe/tr.tsv"; printf '2\t2\n' >"$TMP/probe/te.tsv"
    printf '{"name":"probe","feedback":"implicit","interactions":{"path":["%s","%s"],"separator":"\\t","header":false,"quote":"","user":0,"item":1},"splits":{"r80":{"train":"%s","test":"%s"}}}\n' \
      "$TMP/probe/tr.tsv" "$TMP/probe/te.tsv" "$TMP/probe/tr.tsv" "$TMP/probe/te.tsv" >"$TMP/probe/card.json"
    if "$METAREC" split "$TMP/probe/card.json:r80" --split given --data-root "$TMP/probe" >/dev/null 2>&1; then
      MODE=card
    else
      MODE=metarec_split
    fi
  fi
  if [[ $MODE == metarec_split ]]; then
    # This metarec cannot load a card file's given split, so metarec writes the seeded split and
    # evaluates on the identical in-memory split (deterministic by seed; counts are checked below).
    MR_SPLIT="random:test=0.2,seed=$SEED"
    echo "== b) ML-1M implicit: metarec split ml-1m --split $MR_SPLIT -o $S (card files with a given split are not loadable by this metarec)"
    "$METAREC" split ml-1m --split "$MR_SPLIT" -o "$S" --data-root "$DATA" --json >"$TMP/split.json" || die "metarec split failed"
    MR_DATA=ml-1m; MR_SPLITARG=(--split "$MR_SPLIT")
  else
    echo "== b) ML-1M implicit: seeded (srand $SEED) random 80/20 split with awk into $S"
    awk -v seed="$SEED" -v dir="$S" 'BEGIN{srand(seed); print "user\titem\tvalue" > dir"/train.tsv"; print "user\titem\tvalue" > dir"/test.tsv"}
      NR==1 && $1 !~ /^[0-9]+$/ {next}
      {f = (rand() < 0.2) ? "/test.tsv" : "/train.tsv"; print $1"\t"$2"\t1" > (dir f)}' "$PAIRS"
    cat >"$S/card.json" <<EOF
{"name": "ml1m-r80", "feedback": "implicit", "duplicates": "error",
 "interactions": {"path": ["$S/train.tsv", "$S/test.tsv"], "separator": "\t", "header": true, "quote": "", "user": 0, "item": 1},
 "splits": {"r80": {"train": "$S/train.tsv", "test": "$S/test.tsv"}}}
EOF
    MR_DATA="$S/card.json:r80"; MR_SPLITARG=()
  fi
  echo "   train $(($(wc -l <"$S/train.tsv") - 1)) / test $(($(wc -l <"$S/test.tsv") - 1)) pairs"
  awk 'NR>1 {print $1" "$2" 1"}' "$S/train.tsv" >"$S/train.qmf"

  # Shared evaluator, ranking every item except the user's training items (metarec's full
  # protocol), over users with test items: precision@10 = mean of hits in the top 10 / 10;
  # precision_capped@10 = sum of hits / sum of min(10, test items), the "precision" that implicit's
  # own ranking_metrics_at_k reports (metarec: --metrics precision_capped).
  cat >"$TMP/implicit_eval.py" <<'EOF'
import sys, time, os
import numpy as np
import scipy.sparse as sp

def load(path):
    with open(path) as f:
        first = f.readline()
        rest = f.read()
    txt = rest if not first.split()[0].lstrip("-").isdigit() else first + rest
    a = np.array(txt.split(), dtype=np.int64)
    ncol = len(first.split())
    return a.reshape(-1, ncol)[:, :2]

def index(train, test):
    users, uinv = np.unique(np.concatenate([train[:, 0], test[:, 0]]), return_inverse=True)
    items, iinv = np.unique(np.concatenate([train[:, 1], test[:, 1]]), return_inverse=True)
    n = len(train)
    return users, items, (uinv[:n], iinv[:n]), (uinv[n:], iinv[n:])

def csr(pair, nu, ni):
    return sp.csr_matrix((np.ones(len(pair[0]), dtype=np.float32), pair), shape=(nu, ni))

def precision_at_10(U, V, tr, te, k=10, batch=512):
    test_users = np.unique(te.nonzero()[0])
    hits = 0.0
    capped = 0.0
    for s in range(0, len(test_users), batch):
        us = test_users[s:s + batch]
        sc = U[us] @ V.T
        sub = tr[us]
        sc[sub.nonzero()] = -np.inf
        top = np.argpartition(-sc, k, axis=1)[:, :k]
        tt = te[us]
        for r in range(len(us)):
            rel = tt.indices[tt.indptr[r]:tt.indptr[r + 1]]
            hits += np.count_nonzero(np.isin(top[r], rel))
            capped += min(k, len(rel))
    return hits / k / len(test_users), hits / capped

mode, train_path, test_path = sys.argv[1], sys.argv[2], sys.argv[3]
train, test = load(train_path), load(test_path)
users, items, trp, tep = index(train, test)
nu, ni = len(users), len(items)
tr, te = csr(trp, nu, ni), csr(tep, nu, ni)
if mode in ("als", "bpr"):
    factors, iters, threads, seed = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
    if mode == "als":
        from implicit.cpu.als import AlternatingLeastSquares
        reg, alpha = float(sys.argv[8]), float(sys.argv[9])
        m = AlternatingLeastSquares(factors=factors, regularization=reg, alpha=alpha, iterations=iters,
                                    use_cg=True, calculate_training_loss=False, num_threads=threads,
                                    random_state=seed)
    else:
        from implicit.cpu.bpr import BayesianPersonalizedRanking
        m = BayesianPersonalizedRanking(factors=factors, learning_rate=0.01, regularization=0.01,
                                        iterations=iters, num_threads=threads, random_state=seed)
    t0 = time.perf_counter()
    m.fit(tr, show_progress=False)
    fit = time.perf_counter() - t0
    U, V = np.asarray(m.user_factors), np.asarray(m.item_factors)
else:  # QMF factor files: id f0 f1 ...
    fit = float(sys.argv[6])
    def read_factors(path, ids):
        raw = np.loadtxt(path, dtype=np.float64, ndmin=2)
        pos = np.searchsorted(ids, raw[:, 0].astype(np.int64))
        out = np.zeros((len(ids), raw.shape[1] - 1), dtype=np.float32)
        out[pos] = raw[:, 1:]
        return out, pos
    U, _ = read_factors(sys.argv[4], users)
    V, ipos = read_factors(sys.argv[5], items)
    missing = np.setdiff1d(np.arange(ni), ipos)  # items only in test: no factors, never ranked
    V[missing] = 0.0
t0 = time.perf_counter()
p, pc = precision_at_10(U.astype(np.float32), V.astype(np.float32), tr, te)
print("RESULT precision@10 %.6f fit %.4f eval %.4f users %d items %d precision_capped@10 %.6f"
      % (p, fit, time.perf_counter() - t0, nu, ni, pc))
EOF

  HAVE_IMPLICIT=0
  if want implicit; then
    if [[ -d $PEERS/implicit/implicit ]] && PYTHONPATH=$PEERS/implicit "$PY" -c "import implicit.cpu._als, implicit.cpu.bpr" 2>/dev/null; then
      HAVE_IMPLICIT=1
    else
      echo "skip: implicit not found ($PEERS/implicit)"
    fi
  fi
  ials_args=()
  if mr_has ials; then
    read -ra ials_args <<<"$(mr_p ials "factors" 64) $(mr_p ials "iterations epochs" 15) $(mr_p ials "reg regularization lambda" "$IALS_REG") $(mr_p ials "alpha confidence confidence_weight" "$IALS_ALPHA")"
  fi
  bpr_args=()
  if mr_has bpr; then
    read -ra bpr_args <<<"$(mr_p bpr "factors" 64) $(mr_p bpr "epochs iterations" 100) $(mr_p bpr "lr learning_rate" 0.01) $(mr_p bpr "reg regularization lambda" 0.01) $(mr_p bpr "negative_candidates" 1)"
  fi
  # mr_cap NAME: precision_capped@10 of the metarec run NAME (after run_metarec), or -.
  mr_cap() { if [[ $MR_VAL == - ]]; then echo -; else json_get "$TMP/$1.out" precision_capped@10; fi; }
  run_implicit() {  # MODE ITERS LABEL extra...
    local mode=$1 iters=$2 label=$3; shift 3
    P_VAL=-; P_SEC=-; P_PEAK=-; P_CAP=-
    [[ $HAVE_IMPLICIT == 1 ]] || return
    echo "  implicit $label"
    timed "implicit_$mode" env PYTHONPATH="$PEERS/implicit" OPENBLAS_NUM_THREADS=1 "$PY" "$TMP/implicit_eval.py" \
      "$mode" "$S/train.tsv" "$S/test.tsv" 64 "$iters" "$THREADS" "$SEED" "$@"
    if [[ $RC == 0 ]]; then
      read -r _ _ P_VAL _ P_SEC _ ev _ _ _ _ _ P_CAP < <(grep '^RESULT' "$TMP/implicit_$mode.out")
      P_PEAK=$PEAK
      echo "    -> precision@10=$P_VAL precision_capped@10=$P_CAP fit_seconds=$P_SEC (eval $ev s; process wall $WALL s) peak=$P_PEAK MiB"
    fi
  }
  if want implicit; then
    echo "-- implicit vs metarec ials / bpr (k=64)"
    run_implicit als 15 "ALS (CG) k=64 it=15 reg=$IALS_REG alpha=$IMPLICIT_ALPHA (confidence 1 + $IALS_ALPHA)" "$IALS_REG" "$IMPLICIT_ALPHA"
    run_metarec mr_ials ials "$MR_DATA" precision@10 fit "${MR_SPLITARG[@]}" --metrics precision,precision_capped -k 10 "${ials_args[@]}"
    row b implicit "ALS cg k=64 it=15 reg=$IALS_REG a=$IMPLICIT_ALPHA" precision@10 "$P_VAL" "$P_SEC" "$P_PEAK" "$MR_LABEL $(plabel "${ials_args[@]}")" "$MR_VAL" "$MR_SEC" "$MR_PEAK"
    row b implicit "ALS cg k=64 it=15 reg=$IALS_REG a=$IMPLICIT_ALPHA" precision_capped@10 "$P_CAP" "$P_SEC" "$P_PEAK" "$MR_LABEL $(plabel "${ials_args[@]}")" "$(mr_cap mr_ials)" "$MR_SEC" "$MR_PEAK"
    run_implicit bpr 100 "BPR k=64 100 epochs lr=0.01 reg=0.01"
    run_metarec mr_bpr bpr "$MR_DATA" precision@10 fit "${MR_SPLITARG[@]}" --metrics precision,precision_capped -k 10 "${bpr_args[@]}"
    row b implicit "BPR k=64 ep=100" precision@10 "$P_VAL" "$P_SEC" "$P_PEAK" "$MR_LABEL $(plabel "${bpr_args[@]}")" "$MR_VAL" "$MR_SEC" "$MR_PEAK"
    row b implicit "BPR k=64 ep=100" precision_capped@10 "$P_CAP" "$P_SEC" "$P_PEAK" "$MR_LABEL $(plabel "${bpr_args[@]}")" "$(mr_cap mr_bpr)" "$MR_SEC" "$MR_PEAK"
  fi

  if want qmf; then
    echo "-- QMF WALS vs metarec ials (k=64, 15 epochs)"
    P_VAL=-; P_SEC=-; P_PEAK=-; P_CAP=-
    WALS=""
    for w in "$PEERS/qmf/build/bin/wals" "$PEERS/qmf/bin/wals"; do [[ -x $w ]] && { WALS=$w; break; }; done
    if [[ -n $WALS ]]; then
      echo "  wals --train_dataset=train.qmf --nepochs=15 --nfactors=64 --regularization_lambda=$IALS_REG --confidence_weight=$IALS_ALPHA --nthreads=$THREADS"
      timed qmf_wals "$WALS" --train_dataset="$S/train.qmf" --user_factors="$S/qmf.users" --item_factors="$S/qmf.items" \
        --nepochs=15 --nfactors=64 --regularization_lambda="$IALS_REG" --confidence_weight="$IALS_ALPHA" \
        --nthreads="$THREADS" --logtostderr
      if [[ $RC == 0 ]]; then
        P_PEAK=$PEAK
        # fit time: glog timestamps from "training" to the last epoch line
        P_SEC=$(awk '/wals.cpp.*training/ {s=$2} /train loss/ {e=$2}
          function t(x, a) {split(x, a, ":"); return a[1]*3600 + a[2]*60 + a[3]}
          END {if (s != "" && e != "") printf "%.3f", t(e) - t(s); else print "nan"}' "$TMP/qmf_wals.err")
        timed qmf_eval "$PY" "$TMP/implicit_eval.py" factors "$S/train.tsv" "$S/test.tsv" "$S/qmf.users" "$S/qmf.items" "$P_SEC"
        [[ $RC == 0 ]] && P_VAL=$(awk '/^RESULT/ {print $3}' "$TMP/qmf_eval.out") && P_CAP=$(awk '/^RESULT/ {print $13}' "$TMP/qmf_eval.out")
        echo "    -> precision@10=$P_VAL precision_capped@10=$P_CAP fit_seconds=$P_SEC (process wall $(cut -d' ' -f1 "$TMP/qmf_wals.time") s) peak=$P_PEAK MiB"
      fi
    else
      echo "skip: QMF not found ($PEERS/qmf/build/bin/wals)"
    fi
    run_metarec mr_ials ials "$MR_DATA" precision@10 fit "${MR_SPLITARG[@]}" --metrics precision,precision_capped -k 10 "${ials_args[@]}"
    row b QMF "WALS k=64 it=15 reg=$IALS_REG a=$IALS_ALPHA" precision@10 "$P_VAL" "$P_SEC" "$P_PEAK" "$MR_LABEL $(plabel "${ials_args[@]}")" "$MR_VAL" "$MR_SEC" "$MR_PEAK"
    row b QMF "WALS k=64 it=15 reg=$IALS_REG a=$IALS_ALPHA" precision_capped@10 "$P_CAP" "$P_SEC" "$P_PEAK" "$MR_LABEL $(plabel "${ials_args[@]}")" "$(mr_cap mr_ials)" "$MR_SEC" "$MR_PEAK"
  fi
  if [[ $MODE == metarec_split ]]; then
    "$PY" - "$TMP/split.json" "$S/train.tsv" "$S/test.tsv" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
n = [sum(1 for _ in open(p)) - 1 for p in sys.argv[2:4]]
ok = n == [j["train"], j["test"]]
print("   split check: files %d/%d, metarec split %d/%d: %s" % (n[0], n[1], j["train"], j["test"], "same" if ok else "DIFFERENT"))
EOF
  fi
fi

# ================================================================ c) ~10M-rating synthetic set, SGD per epoch (opt-in: syn10m)
# Per-epoch seconds = (time of 21 epochs - time of 1 epoch) / 20, which cancels reading the files
# (LIBMF: process wall time; metarec: fit_seconds). SYN10M_DIR caches the generated split.
if want syn10m; then
  SD=${SYN10M_DIR:-$TMP/syn10m}
  mkdir -p "$SD"
  if [[ ! -s $SD/train.tsv ]]; then
    echo "== c) generating synthetic:users=100000,items=20000,per_user=100,seed=7 into $SD"
    "$METAREC" split synthetic:users=100000,items=20000,per_user=100,seed=7 --split random:test=0.1,seed=1 -o "$SD" >/dev/null || die "synthetic split failed"
  fi
  [[ -s $SD/train.mf ]] || awk 'NR > 1 {print $1" "$2" "$3}' "$SD/train.tsv" >"$SD/train.mf"
  [[ -s $SD/test.mf ]] || awk 'NR > 1 {print $1" "$2" "$3}' "$SD/test.tsv" >"$SD/test.mf"
  printf '{"name":"syn10m","feedback":"explicit","interactions":{"path":"train.tsv","separator":"\\t","header":true,"quote":"","user":0,"item":1,"rating":2,"scale":[1,5]},"splits":{"s":{"train":"train.tsv","test":"test.tsv"}}}\n' >"$SD/card.json"
  echo "== c) $(wc -l <"$SD/train.mf") train / $(wc -l <"$SD/test.mf") test ratings, k=64, $THREADS threads"
  P_VAL=-; P_SEC=-; P_PEAK=-
  if [[ -x $PEERS/libmf/mf-train ]]; then
    timed libmf10_1 "$PEERS/libmf/mf-train" -k 64 -t 1 -s "$THREADS" "$SD/train.mf" "$TMP/syn.model1"
    t1=$WALL
    timed libmf10_21 "$PEERS/libmf/mf-train" -k 64 -t 21 -s "$THREADS" "$SD/train.mf" "$TMP/syn.model"
    P_SEC=$(awk -v a="$WALL" -v b="$t1" 'BEGIN{print (a - b) / 20}'); P_PEAK=$PEAK
    timed libmf10_pred "$PEERS/libmf/mf-predict" -e 0 "$SD/test.mf" "$TMP/syn.model" "$TMP/syn.pred"
    P_VAL=$(awk '/RMSE/ {print $NF}' "$TMP/libmf10_pred.out")
    echo "    -> LIBMF rmse=$P_VAL per-epoch=$P_SEC s"
  else
    echo "skip: LIBMF not found ($PEERS/libmf/mf-train)"
  fi
  MR_VAL=-; MR_SEC=-; MR_PEAK=-
  if [[ $MR_OK == 1 ]]; then
    timed mr10_1 "$METAREC" evaluate funk_mf "$SD/card.json:s" --split given --metrics rmse -p factors=64 -p epochs=1 --json --threads "$THREADS" --data-root "$SD"
    f1=$(json_get "$TMP/mr10_1.out" fit_seconds)
    timed mr10_21 "$METAREC" evaluate funk_mf "$SD/card.json:s" --split given --metrics rmse -p factors=64 -p epochs=21 --json --threads "$THREADS" --data-root "$SD"
    f21=$(json_get "$TMP/mr10_21.out" fit_seconds)
    MR_VAL=$(json_get "$TMP/mr10_21.out" rmse); MR_PEAK=$PEAK
    MR_SEC=$(awk -v a="$f21" -v b="$f1" 'BEGIN{print (a - b) / 20}')
    echo "    -> metarec funk_mf rmse=$MR_VAL per-epoch=$MR_SEC s"
  fi
  row c LIBMF "MF k=64, s per epoch" rmse "$P_VAL" "$P_SEC" "$P_PEAK" "funk_mf factors=64 (21 epochs)" "$MR_VAL" "$MR_SEC" "$MR_PEAK"
fi

# ================================================================ table
echo
echo "== results (threads=$THREADS; seconds: see header of this script; ratio = peer s / metarec s)"
{
  printf 'sec\tpeer\talgorithm\tmetric\tvalue\tseconds\tpeak MiB\tmetarec\tmetarec value\tmetarec s\tmetarec MiB\tratio\n'
  cat "$RESULTS"
} | awk -F'\t' '
  {for (i = 1; i <= NF; i++) {c[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i)} n = NR; nf = (NF > nf ? NF : nf)}
  END {for (r = 1; r <= n; r++) {line = ""; for (i = 1; i <= nf; i++) line = line sprintf("%-*s  ", w[i], c[r, i]); sub(/ +$/, "", line); print line}}'
[[ -n ${COMPARE_TSV:-} ]] && cp "$RESULTS" "$COMPARE_TSV"
exit 0
