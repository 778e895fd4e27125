// Background motion from tracked point flows: the camera's motion (median flow, then a robust similarity fit, so a
// slightly rotating or zooming hand-held camera is still "camera") and what moves on top of it (residuals).
import {
  MOTION_GLOBAL_DX, MOTION_GLOBAL_DY, MOTION_MODEL_A, MOTION_MODEL_B, MOTION_MODEL_TX, MOTION_MODEL_TY, MOTION_MOVING_FRACTION,
  MOTION_MOVING_POINTS, MOTION_RESIDUAL_MEDIAN, MOTION_RESIDUAL_P90, MOTION_TRACKED_FRACTION,
} from '../../src/quality/layout';

export const MAX_POINTS: i32 = 4096;
const VALUES: usize = memory.data(MAX_POINTS * 8, 16); // f64 scratch for order statistics
const RESID: usize = memory.data(MAX_POINTS * 8, 16); // f64 residual per tracked point
const INDEX: usize = memory.data(MAX_POINTS * 4, 16); // i32 index of each tracked point

// Hoare-style quickselect on f64[n] in place: afterwards v[k] is the k-th smallest, smaller ones before it.
function select(v: usize, n: i32, k: i32): f64 {
  let lo = 0, hi = n - 1;
  while (lo < hi) {
    const pivot = load<f64>(v + (<usize>((lo + hi) >>> 1) << 3));
    let i = lo, j = hi;
    while (i <= j) {
      while (load<f64>(v + (<usize>i << 3)) < pivot) i++;
      while (load<f64>(v + (<usize>j << 3)) > pivot) j--;
      if (i <= j) {
        const a = load<f64>(v + (<usize>i << 3));
        store<f64>(v + (<usize>i << 3), load<f64>(v + (<usize>j << 3)));
        store<f64>(v + (<usize>j << 3), a);
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return load<f64>(v + (<usize>k << 3));
}

// Median (mean of the two middle values for even n) of f64[n]; reorders v.
function median(v: usize, n: i32): f64 {
  const k = n >> 1;
  const upper = select(v, n, k);
  if (n & 1) return upper;
  let lower = load<f64>(v);
  for (let i = 1; i < k; i++) lower = max(lower, load<f64>(v + (<usize>i << 3)));
  return (lower + upper) * 0.5;
}

// Nearest-rank 90th percentile of f64[n]; reorders v.
function p90(v: usize, n: i32): f64 {
  return select(v, n, <i32>Math.ceil(0.9 * <f64>n) - 1);
}

// Similarity model x' = a*x - b*y + tx, y' = b*x + a*y + ty (a = s*cos, b = s*sin).
let ma: f64 = 1, mb: f64 = 0, mtx: f64 = 0, mty: f64 = 0;

// @ts-ignore: decorator
@inline function residualOf(points: usize, flows: usize, i: i32): f64 {
  const x = <f64>load<f32>(points + (<usize>i << 3)), y = <f64>load<f32>(points + (<usize>i << 3), 4);
  const fx = x + <f64>load<f32>(flows + (<usize>i << 3)), fy = y + <f64>load<f32>(flows + (<usize>i << 3), 4);
  const ex = fx - (ma * x - mb * y + mtx), ey = fy - (mb * x + ma * y + mty);
  return Math.sqrt(ex * ex + ey * ey);
}

// Least-squares similarity over the tracked points whose residual (RESID) is at most `limit`; returns the count used.
function fitSimilarity(points: usize, flows: usize, m: i32, limit: f64): i32 {
  let n = 0, sx: f64 = 0, sy: f64 = 0, su: f64 = 0, sv: f64 = 0;
  for (let j = 0; j < m; j++) {
    if (load<f64>(RESID + (<usize>j << 3)) > limit) continue;
    const i = load<i32>(INDEX + (<usize>j << 2));
    const x = <f64>load<f32>(points + (<usize>i << 3)), y = <f64>load<f32>(points + (<usize>i << 3), 4);
    sx += x; sy += y;
    su += x + <f64>load<f32>(flows + (<usize>i << 3));
    sv += y + <f64>load<f32>(flows + (<usize>i << 3), 4);
    n++;
  }
  if (n < 3) return n;
  const cx = sx / n, cy = sy / n, cu = su / n, cv = sv / n;
  let den: f64 = 0, na: f64 = 0, nb: f64 = 0;
  for (let j = 0; j < m; j++) {
    if (load<f64>(RESID + (<usize>j << 3)) > limit) continue;
    const i = load<i32>(INDEX + (<usize>j << 2));
    const x = <f64>load<f32>(points + (<usize>i << 3)) - cx, y = <f64>load<f32>(points + (<usize>i << 3), 4) - cy;
    const u = <f64>load<f32>(points + (<usize>i << 3)) + <f64>load<f32>(flows + (<usize>i << 3)) - cu;
    const v = <f64>load<f32>(points + (<usize>i << 3), 4) + <f64>load<f32>(flows + (<usize>i << 3), 4) - cv;
    den += x * x + y * y;
    na += x * u + y * v;
    nb += x * v - y * u;
  }
  if (den <= 0) return n;
  ma = na / den;
  mb = nb / den;
  mtx = cu - (ma * cx - mb * cy);
  mty = cv - (mb * cx + ma * cy);
  return n;
}

// Fills RESID[j] for every tracked point under the current model; returns their median (reorders VALUES only).
function residuals(points: usize, flows: usize, m: i32): f64 {
  for (let j = 0; j < m; j++) {
    const r = residualOf(points, flows, load<i32>(INDEX + (<usize>j << 2)));
    store<f64>(RESID + (<usize>j << 3), r);
    store<f64>(VALUES + (<usize>j << 3), r);
  }
  return median(VALUES, m);
}

/**
 * Summarises `n` point flows (see trackPoints) into `out` (f64 slots MOTION_* of src/quality/layout.ts): globalDx, globalDy (median flow), residualMedian,
 * residualP90 (after the similarity camera model), trackedFraction, then the model a, b, tx, ty, then movingFraction
 * (tracked points whose residual exceeds `movingPx`, over the tracked points) and that count of moving points.
 * `inlierFloor` (px) is the smallest residual ever treated as an outlier when fitting the camera model.
 */
export function summarizeMotion(points: usize, flows: usize, status: usize, n: i32, inlierFloor: f64, movingPx: f64, out: usize): void {
  let m = 0;
  for (let i = 0; i < n; i++) {
    if (load<u8>(status + <usize>i)) {
      store<i32>(INDEX + (<usize>m << 2), i);
      m++;
    }
  }
  ma = 1; mb = 0; mtx = 0; mty = 0;
  if (m == 0) {
    for (let k = 0; k < MOTION_MOVING_FRACTION; k++) store<f64>(out + (<usize>k << 3), NaN);
    store<f64>(out, 0, MOTION_TRACKED_FRACTION << 3);
    store<f64>(out, NaN, MOTION_MOVING_FRACTION << 3);
    store<f64>(out, 0, MOTION_MOVING_POINTS << 3);
    return;
  }
  for (let j = 0; j < m; j++) store<f64>(VALUES + (<usize>j << 3), <f64>load<f32>(flows + (<usize>load<i32>(INDEX + (<usize>j << 2)) << 3)));
  const gdx = median(VALUES, m);
  for (let j = 0; j < m; j++) store<f64>(VALUES + (<usize>j << 3), <f64>load<f32>(flows + (<usize>load<i32>(INDEX + (<usize>j << 2)) << 3), 4));
  const gdy = median(VALUES, m);
  // Start from the median translation (robust to a minority of moving points), then fit the similarity on the
  // points that agree with it, and refit once on the points that agree with that fit.
  mtx = gdx; mty = gdy;
  let med = residuals(points, flows, m);
  for (let pass = 0; pass < 2; pass++) {
    if (fitSimilarity(points, flows, m, max(3 * med, inlierFloor)) < 3) break;
    med = residuals(points, flows, m);
  }
  // A walker covers a few grid points only: the share of points off the camera model sees it where p90 does not.
  let moving = 0;
  for (let j = 0; j < m; j++) {
    const r = load<f64>(RESID + (<usize>j << 3));
    store<f64>(VALUES + (<usize>j << 3), r);
    if (r > movingPx) moving++;
  }
  store<f64>(out, gdx, MOTION_GLOBAL_DX << 3);
  store<f64>(out, gdy, MOTION_GLOBAL_DY << 3);
  store<f64>(out, med, MOTION_RESIDUAL_MEDIAN << 3);
  store<f64>(out, p90(VALUES, m), MOTION_RESIDUAL_P90 << 3);
  store<f64>(out, <f64>m / <f64>n, MOTION_TRACKED_FRACTION << 3);
  store<f64>(out, ma, MOTION_MODEL_A << 3);
  store<f64>(out, mb, MOTION_MODEL_B << 3);
  store<f64>(out, mtx, MOTION_MODEL_TX << 3);
  store<f64>(out, mty, MOTION_MODEL_TY << 3);
  store<f64>(out, <f64>moving / <f64>m, MOTION_MOVING_FRACTION << 3);
  store<f64>(out, <f64>moving, MOTION_MOVING_POINTS << 3);
}
