// meta.yaml read without the yaml library: only text in the exact rendered form, and then with the
// values the library gives; anything else is left to the library.
import fc from 'fast-check';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseRenderedMeta, renderMetaYaml, type YamlValue } from '../../src/track/file-store-format.js';

const EXPERIMENT = {
  artifact_location: 'file:///tmp/runs/mlruns/828016359386834849', creation_time: 1796174075854,
  experiment_id: '828016359386834849', last_update_time: 1796174075854, lifecycle_stage: 'active', name: 'bench-plan-10001', tags: [],
};

// Strings made of the characters that matter to YAML: quotes, colons, spaces, digits, signs, dots.
const tricky = fc.string({ unit: fc.constantFrom('a', 'Z', '0', '1', '9', ' ', ':', "'", '"', '-', '+', '.', 'e', '#', '_', '/', '~', '\t', 'x'), maxLength: 12 });
const value: fc.Arbitrary<YamlValue> = fc.oneof(
  tricky, fc.constantFrom('true', 'no', 'null', '~', '0', '007', '1e5', '.inf', 'NaN', 'on', '<<', '-0', '0x1F', '1_000'),
  fc.integer({ min: -1e15, max: 1e15 }), fc.double(), fc.constant(null), fc.constant([] as const),
);
const fields = fc.dictionary(fc.stringMatching(/^[a-z_]{1,8}$/), value, { minKeys: 1, maxKeys: 6 });

describe('reading a rendered meta.yaml', () => {
  it('reads what MLflow and the file store write, as the yaml library reads it', () => {
    const text = renderMetaYaml(EXPERIMENT);
    expect(parseRenderedMeta(text)).toEqual(parse(text));
    expect(parseRenderedMeta(renderMetaYaml({ experiment_id: '0', name: 'Default', creation_time: 1, lifecycle_stage: 'active' }))).toEqual({ experiment_id: '0', name: 'Default', creation_time: 1, lifecycle_stage: 'active' });
  });

  it('never reads a value other than the yaml library does', () => {
    let readHere = 0;
    fc.assert(fc.property(fields, (f) => {
      const text = renderMetaYaml(f);
      const fast = parseRenderedMeta(text);
      if (fast) readHere++;
      expect(fast ?? parse(text)).toEqual(parse(text));
    }), { numRuns: 2000 });
    // Most rendered texts are read here (those with floats or long integers are not).
    expect(readHere).toBeGreaterThan(200);
  });

  it('leaves any other text to the library: comments, other quoting, flow style, repeated keys, no final newline', () => {
    for (const text of [
      'name: x # a comment\n', 'name: "x"\n', 'name: x\n\n', 'tags: {}\n', 'a: 1\na: 2\n', 'name: x', 'name:  x\n',
      'creation_time: 1e5\n', 'id: -0\n', 'n: 1234567890123456789\n', "name: 'it''s'\nname2: 'a'b'\n", 'Name: x\n', '- a\n',
    ]) expect(parseRenderedMeta(text), text).toBeUndefined();
  });
});
