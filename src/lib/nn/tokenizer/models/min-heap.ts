// A binary min-heap of float64 keys (BPE packs rank and position into one number). It sits in the
// innermost loop of BPE encoding: reads below `size` are in range by construction and marked so,
// since a checked read here costs a measurable share of the encoding time.

export class MinHeap {
  private keys = new Float64Array(64);
  size = 0;

  push(key: number): void {
    if (this.size === this.keys.length) {
      const grown = new Float64Array(this.keys.length * 2);
      grown.set(this.keys);
      this.keys = grown;
    }
    const k = this.keys;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const above = k[parent]!;
      if (above <= key) break;
      k[i] = above;
      i = parent;
    }
    k[i] = key;
  }

  pop(): number {
    const k = this.keys;
    const top = k[0]!;
    const last = k[--this.size]!;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= this.size) break;
      if (child + 1 < this.size && k[child + 1]! < k[child]!) child++;
      const below = k[child]!;
      if (below >= last) break;
      k[i] = below;
      i = child;
    }
    k[i] = last;
    return top;
  }

  clear(): void {
    this.size = 0;
  }
}
