// "1 node", "2 nodes": counts in messages agree with their noun.

export function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
