// Node ids and keys as types of their own. Both are strings at run time; as types they do not mix,
// so a key handed where a node id is expected (or a raw string where either is) fails to compile.
// Each is made in few places: the compiler names nodes (`nodeId`), the key is a hash (`keyFromDigest`);
// text from outside (a file, a directory listing, the command line) becomes one through a check.

/** The id of a node of a compiled recipe: `stage`, `stage[item]`, `stage#3`, or a sweep's merged id. */
export type NodeId = string & { readonly __brand: 'NodeId' };

/** A node's key: the 64 lowercase hex digits of the sha256 of its key structure. */
export type Key = string & { readonly __brand: 'Key' };

const HEX64 = /^[0-9a-f]{64}$/;

/** The key of a digest just computed (sha256, hex): the one place keys are made from hashes. */
export function keyFromDigest(hex: string): Key {
  return hex as Key;
}

/** True for text that is a key: 64 lowercase hex digits (what store listings and records are checked with). */
export function isKey(value: unknown): value is Key {
  return typeof value === 'string' && HEX64.test(value);
}

/** A key read from text, or undefined when the text is not one. */
export function parseKey(text: string): Key | undefined {
  return isKey(text) ? text : undefined;
}

/** The id the compiler gives a node it makes (and a sweep gives the node it merges). */
export function nodeId(text: string): NodeId {
  return text as NodeId;
}
