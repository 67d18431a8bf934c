// A checked read for tests: an element the test expects to be there, or a failure that says which
// one was missing (instead of `undefined` flowing into arithmetic).

/** xs[i], counting from the end when i < 0; throws when there is no such element. */
export function at<T>(xs: ArrayLike<T>, i: number): T {
  const x = xs[i < 0 ? xs.length + i : i];
  if (x === undefined) throw new Error(`no element ${i} in a list of ${xs.length}`);
  return x;
}
