/**
 * Pixel-level path thinning. An exact γ curve has one point per distinct threshold (up to N+1), far
 * more than a plot has pixels. Within each run of consecutive points that fall in the same pixel
 * column it keeps the first, lowest, highest and last point, in their original order, so the drawn
 * path covers the same pixels as the full one. Points stream in, so a curve of millions of points
 * never becomes an array of millions of coordinate pairs.
 */
export class PathThinner {
  private readonly out: [number, number][] = [];
  private column = Number.NaN;
  private seq = 0;
  private open = false;
  // first, lowest, highest and latest vertex of the current column run, as scalars: one object per
  // point would cost more in garbage collection than the whole plot costs to draw.
  private readonly v = new Float64Array(12);

  add(x: number, y: number): void {
    const v = this.v;
    const column = Math.floor(x);
    const seq = this.seq++;
    if (!this.open || column !== this.column) {
      this.flush();
      this.open = true;
      this.column = column;
      for (let k = 0; k < 12; k += 3) this.put(k, x, y, seq);
      return;
    }
    if (y < v[4]!) this.put(3, x, y, seq);
    if (y > v[7]!) this.put(6, x, y, seq);
    this.put(9, x, y, seq);
  }

  private put(at: number, x: number, y: number, seq: number): void {
    this.v[at] = x;
    this.v[at + 1] = y;
    this.v[at + 2] = seq;
  }

  private flush(): void {
    if (!this.open) return;
    const v = this.v;
    const kept = [0, 3, 6, 9].sort((a, b) => v[a + 2]! - v[b + 2]!);
    let lastSeq = -1;
    for (const k of kept) {
      if (v[k + 2] === lastSeq) continue;
      lastSeq = v[k + 2]!;
      this.out.push([v[k]!, v[k + 1]!]);
    }
    this.open = false;
  }

  points(): [number, number][] {
    this.flush();
    return this.out;
  }
}

export function decimatePath(points: Iterable<readonly [number, number]>): [number, number][] {
  const thinner = new PathThinner();
  for (const [x, y] of points) thinner.add(x, y);
  return thinner.points();
}
