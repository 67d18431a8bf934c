// Reads a test relies on, under noUncheckedIndexedAccess: the element is there, or the test fails
// here with a message that says which one was missing (not with a TypeError a few lines on).

/** The element at `index` (negative counts from the end) of a list or typed array; throws when there is none. */
export function at<T>(items: ArrayLike<T>, index: number): T {
  const item = items[index < 0 ? items.length + index : index];
  if (item === undefined) throw new Error(`expected an element at index ${index}, but the list has ${items.length}`);
  return item;
}
