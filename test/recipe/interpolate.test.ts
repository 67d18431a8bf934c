// ${…} interpolation: what each form gives, when a value keeps its type, and what errors say and point at.
import { describe, expect, it } from 'vitest';
import {
  InterpolationError, interpolateString, interpolateValue, parsePath, resolveVars, splitTemplate, type Scope,
} from '../../src/recipe/interpolate.js';

const scope = (extra: Partial<Scope> = {}): Scope => ({
  vars: { n: 3, name: 'rte', seeds: [1, 2], cfg: { lr: 0.1, layers: [4, 8] }, flag: true, none: null },
  env: { HOME_DIR: '/home/me', EMPTY: '' },
  hasItem: false,
  ...extra,
});

function failure(fn: () => unknown): InterpolationError {
  try {
    fn();
  } catch (err) {
    if (err instanceof InterpolationError) return err;
    throw err;
  }
  throw new Error('expected an InterpolationError');
}

describe('interpolation values', () => {
  it('a string that is exactly one ${…} keeps the type of what it names', () => {
    expect(interpolateString('${vars.n}', scope())).toBe(3);
    expect(interpolateString('${vars.seeds}', scope())).toEqual([1, 2]);
    expect(interpolateString('${vars.cfg}', scope())).toEqual({ lr: 0.1, layers: [4, 8] });
    expect(interpolateString('${vars.flag}', scope())).toBe(true);
    expect(interpolateString('${vars.none}', scope())).toBeNull();
    expect(interpolateString('${ vars.n }', scope())).toBe(3);
  });

  it('text around ${…} makes a string', () => {
    expect(interpolateString('n=${vars.n}', scope())).toBe('n=3');
    expect(interpolateString('${vars.name}-${vars.n}', scope())).toBe('rte-3');
    expect(interpolateString('${vars.flag}/${vars.none}', scope())).toBe('true/null');
  });

  it('${vars} alone is every var', () => {
    expect(interpolateString('${vars}', scope({ vars: { a: 1, b: [2] } }))).toEqual({ a: 1, b: [2] });
  });

  it('walks fields and indexes', () => {
    expect(interpolateString('${vars.cfg.lr}', scope())).toBe(0.1);
    expect(interpolateString('${vars.cfg.layers[1]}', scope())).toBe(8);
    expect(interpolateString("${vars.cfg['lr']}", scope())).toBe(0.1);
  });

  it('reads environment variables, with a default after a comma', () => {
    expect(interpolateString('${env:HOME_DIR}/data', scope())).toBe('/home/me/data');
    expect(interpolateString('${env:EMPTY,x}', scope())).toBe('');
    expect(interpolateString('${env:UNSET_ONE,fallback, with comma}', scope())).toBe('fallback, with comma');
  });

  it('$${ is a literal ${', () => {
    expect(interpolateValue('cost: $${HOME}', scope())).toBe('cost: ${HOME}');
    expect(interpolateString('$${x} ${vars.n}', scope())).toBe('${x} 3');
  });

  it('item and iter exist inside foreach and repeat stages', () => {
    expect(interpolateString('${item}', scope({ hasItem: true, item: { name: 'a', k: 2 } }))).toEqual({ name: 'a', k: 2 });
    expect(interpolateString('${item.k}', scope({ hasItem: true, item: { name: 'a', k: 2 } }))).toBe(2);
    expect(interpolateString('${item}', scope({ hasItem: true, item: null }))).toBeNull();
    expect(interpolateString('round ${iter}', scope({ iteration: 2 }))).toBe('round 2');
  });

  it('stage references are values of their own (only where stages are known)', () => {
    const s = scope({ stages: ['train', 'eval'], hasItem: true, item: 'rte' });
    expect(interpolateString('${stages.train.outputs.model}', s)).toEqual({ kind: 'stage-ref', stage: 'train', port: 'model', selector: undefined, prev: undefined, text: 'stages.train.outputs.model' });
    expect(interpolateString('${stages.eval[${item}].outputs.scores}', s)).toMatchObject({ stage: 'eval', selector: 'rte', port: 'scores' });
    expect(interpolateString('${stages.train[2].outputs.model}', s)).toMatchObject({ stage: 'train', selector: 2 });
    expect(interpolateString('${prev.outputs.model}', scope({ iteration: 1 }))).toMatchObject({ kind: 'stage-ref', prev: true, port: 'model' });
  });

  it('interpolates every string inside lists and mappings, and leaves other values alone', () => {
    expect(interpolateValue({ a: ['${vars.n}', 'x${vars.n}', 5], b: { c: '${vars.name}' }, d: null }, scope()))
      .toEqual({ a: [3, 'x3', 5], b: { c: 'rte' }, d: null });
  });
});

describe('interpolation errors', () => {
  it('say what is unknown, suggest the nearest name, and mark the ${…} at fault', () => {
    const err = failure(() => interpolateString('size ${vars.nn} here', scope()));
    expect(err.message).toBe("unknown variable 'vars.nn'");
    expect(err.hint).toBe("did you mean 'n'?");
    expect(err.span).toEqual({ start: 5, length: 10 });
  });

  it('list the names there are when none is close', () => {
    expect(failure(() => interpolateString('${vars.zzzzzz}', scope())).hint).toBe('expected one of: n, name, seeds, cfg, flag, none');
  });

  it('unknown heads, fields and indexes', () => {
    expect(failure(() => interpolateString('${var.n}', scope())).hint).toBe("did you mean 'vars'?");
    expect(failure(() => interpolateString('${vars.cfg.lt}', scope())).message).toBe("'vars.cfg' has no key 'lt'");
    expect(failure(() => interpolateString('${vars.seeds[5]}', scope())).message).toBe("index 5 is out of range in 'vars.seeds' (length 2)");
    expect(failure(() => interpolateString('${vars.n.x}', scope())).message).toBe("cannot read 'x' of 'vars.n' (a number)");
  });

  it('item, iter and prev outside the stages that define them', () => {
    expect(failure(() => interpolateString('${item}', scope())).message).toBe("'item' is only defined inside a stage with `foreach`");
    expect(failure(() => interpolateString('${iter}', scope())).message).toBe("'iter' is only defined inside a stage with `repeat`");
    expect(failure(() => interpolateString('${prev.outputs.x}', scope())).message).toBe("'prev' is only defined inside a stage with `repeat`");
  });

  it('stage outputs outside inputs, inside longer strings, and malformed', () => {
    expect(failure(() => interpolateString('${stages.a.outputs.x}', scope())).message).toBe('stage outputs can only be used in `inputs`');
    const s = scope({ stages: ['a'] });
    expect(failure(() => interpolateString('dir=${stages.a.outputs.x}', s)).message).toBe('a stage output (${stages.a.outputs.x}) cannot be part of a longer string');
    expect(failure(() => interpolateString('${stages.a.output.x}', s)).message).toBe("expected 'stages.a.outputs.<port>', got 'stages.a.output.x'");
    expect(failure(() => interpolateString('${stages.b.outputs.x}', s)).message).toBe("unknown stage 'b'");
  });

  it('a list or mapping cannot be embedded in text; the partly resolved text is kept for the message', () => {
    const err = failure(() => interpolateString('n=${vars.n} seeds=${vars.seeds}', scope()));
    expect(err.message).toBe('${vars.seeds} is a list and cannot be embedded in a string');
    expect(err.partial).toBe('n=3 seeds=');
    expect(err.span).toEqual({ start: 18, length: 13 });
  });

  it('unterminated ${ and environment variables that are not set', () => {
    const open = failure(() => interpolateString('a ${vars.n', scope()));
    expect(open.message).toBe("unterminated '${': expected a closing '}'");
    expect(open.span).toEqual({ start: 2, length: 8 });
    const env = failure(() => interpolateString('${env:NOT_SET_HERE}', scope()));
    expect(env.message).toBe('environment variable NOT_SET_HERE is not set');
    expect(env.hint).toBe('set it, or give a default: ${env:NOT_SET_HERE,<default>}');
  });

  it('errors deep inside a value know their path', () => {
    const err = failure(() => interpolateValue({ a: [1, { b: '${vars.nope}' }] }, scope()));
    expect(err.path).toEqual(['a', 1, 'b']);
  });
});

describe('parsePath', () => {
  it('reads names, dots, indexes, quoted keys and bare item keys', () => {
    expect(parsePath('a.b-c[0]')).toEqual(['a', 'b-c', 0]);
    expect(parsePath("a['x y'][\"z\"]")).toEqual(['a', 'x y', 'z']);
    expect(parsePath('stages.eval[rte].outputs.p')).toEqual(['stages', 'eval', 'rte', 'outputs', 'p']);
    expect(parsePath('s[-1]')).toEqual(['s', '-1']);
  });

  it('rejects anything else and says where', () => {
    expect(() => parsePath('vars..n')).toThrow("cannot parse '${vars..n}': expected a name after '.' at character 6");
    expect(() => parsePath('vars.n x')).toThrow("unexpected ' ' at character 7");
    expect(() => parsePath('a[0')).toThrow("expected a closing ']'");
    expect(() => parsePath('a[]')).toThrow('expected an index, a quoted key or an item key inside [ ]');
    expect(() => parsePath('')).toThrow('expected a name, got nothing');
    expect(() => parsePath('1a')).toThrow('expected a name at character 1');
  });
});

describe('splitTemplate', () => {
  it('splits literals and expressions, keeping nested ${} inside an expression', () => {
    expect(splitTemplate('a${x}b${y[${item}]}')).toEqual([
      { literal: 'a' }, { expr: 'x', start: 1, end: 5 }, { literal: 'b' }, { expr: 'y[${item}]', start: 6, end: 19 },
    ]);
  });

  it('splits a template once however many nodes use it, and still reports a broken one every time', () => {
    const text = '${stages.gen[${item}].outputs.out}';
    expect(splitTemplate(text)).toBe(splitTemplate(text));
    for (let i = 0; i < 2; i++) expect(() => splitTemplate('a ${unclosed')).toThrow("unterminated '${'");
    // Texts made per node do not pile up: the cache empties itself past its bound and stays correct.
    for (let i = 0; i < 5000; i++) splitTemplate(`item ${i} \${x}`);
    expect(splitTemplate(text)).toEqual([{ expr: 'stages.gen[${item}].outputs.out', start: 0, end: text.length }]);
  });
});

describe('resolveVars', () => {
  const fail = (name: string, err: InterpolationError): never => { throw new Error(`${name}: ${err.message}`); };

  it('resolves vars that use other vars in any order, and env', () => {
    const vars = resolveVars({ path: '${vars.root}/${vars.name}', root: '${env:ROOT}', name: 'x', both: ['${vars.name}', '${vars.n}'], n: 2 }, { ROOT: '/r' }, fail);
    expect(vars).toEqual({ path: '/r/x', root: '/r', name: 'x', both: ['x', 2], n: 2 });
  });

  it('reports a cycle with its members in order', () => {
    expect(() => resolveVars({ a: '${vars.b}', b: '${vars.a}' }, {}, fail)).toThrow('a: variables refer to each other in a cycle: vars.a → vars.b → vars.a');
  });

  it('passes the failing var and the path inside it to the caller', () => {
    let seen: { name: string; path: (string | number)[] } | undefined;
    expect(() => resolveVars({ ok: 1, bad: { deep: ['${vars.missing}'] } }, {}, (name, err) => {
      seen = { name, path: err.path };
      throw new Error('stop');
    })).toThrow('stop');
    expect(seen).toEqual({ name: 'bad', path: ['deep', 0] });
  });
});
