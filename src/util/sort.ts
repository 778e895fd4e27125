// Allocation-free helpers for the small per-frame windows (tens to a few hundred values).

/** Sorts the first `n` values of `a` in place (insertion sort: the windows are short and nearly sorted). */
export function sortPrefix(a: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) {
    const v = a[i];
    let j = i - 1;
    while (j >= 0 && a[j] > v) {
      a[j + 1] = a[j];
      j--;
    }
    a[j + 1] = v;
  }
}
