/**
 * Pixel-level path thinning. An exact γ curve has one point per distinct threshold (up to N+1), far
 * more than a plot has pixels. Within each run of consecutive points that fall in the same pixel
 * column it keeps the first, lowest, highest and last point, in their original order, so the drawn
 * path covers the same pixels as the full one.
 */
export function decimatePath(points: readonly (readonly [number, number])[]): [number, number][] {
  const out: [number, number][] = [];
  let i = 0;
  while (i < points.length) {
    const column = Math.floor(points[i]![0]);
    let j = i;
    let lo = i;
    let hi = i;
    while (j + 1 < points.length && Math.floor(points[j + 1]![0]) === column) {
      j++;
      if (points[j]![1] < points[lo]![1]) lo = j;
      if (points[j]![1] > points[hi]![1]) hi = j;
    }
    const keep = [...new Set([i, lo, hi, j])].sort((a, b) => a - b);
    for (const k of keep) out.push([points[k]![0], points[k]![1]]);
    i = j + 1;
  }
  return out;
}
