// Errors a user can cause with a tokenizer file or a bad call: a message that names the file and
// the JSON path of the offending component, and no stack trace in a node's log.

export class TokenizerError extends Error {
  /** Read by the engine (isExpectedFailure) so the node fails with the message alone. */
  readonly expected = true;
  constructor(message: string) {
    super(message);
    this.name = 'TokenizerError';
  }
}

/** Where a component sits: the file it came from and its JSON path inside that file. */
export interface JsonLocation {
  file: string;
  path: string;
}

export function at(loc: JsonLocation, key: string | number): JsonLocation {
  const path = typeof key === 'number' ? `${loc.path}[${key}]` : loc.path ? `${loc.path}.${key}` : key;
  return { file: loc.file, path };
}

export function locatedError(loc: JsonLocation, message: string): TokenizerError {
  return new TokenizerError(`${loc.file}: ${loc.path || '(top level)'} ${message}`);
}

export function unsupportedType(loc: JsonLocation, type: unknown, supported: readonly string[]): TokenizerError {
  const where = `${loc.file}: ${at(loc, 'type').path}`;
  if (type === undefined || type === null) return new TokenizerError(`${where} is missing; supported: ${supported.join(', ')}`);
  const shown = typeof type === 'string' ? `'${type}'` : JSON.stringify(type);
  return new TokenizerError(`${where} ${shown} is not supported; supported: ${supported.join(', ')}`);
}
