// Reads a test relies on, under noUncheckedIndexedAccess: the element is there, or the test fails
// here with a message that says which one was missing (not with a TypeError a few lines on).

/** The element at `index` (negative counts from the end); throws when the list has none there. */
export function at<T>(items: readonly T[], index: number): T {
  const item = items.at(index);
  if (item === undefined) throw new Error(`expected an element at index ${index}, but the list has ${items.length}`);
  return item;
}
