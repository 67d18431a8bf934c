import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  SafetensorsError,
  bf16ToFloat,
  decodeSafetensors,
  encodeSafetensors,
  floatToBf16,
  floatToHalf,
  halfToFloat,
  readSafetensors,
  readSafetensorsSync,
  tensorsToTf,
  tfToTensors,
  writeSafetensors,
  writeSafetensorsSync,
  type SafeTensor,
} from '../../src/lib/nn/safetensors.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'safetensors-'));
  await tf.setBackend('cpu');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A file laid out by hand: length, JSON header, raw bytes. */
function handMade(header: unknown, data: Uint8Array, declaredLength?: bigint): Uint8Array {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, declaredLength ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

async function expectFailure(bytes: Uint8Array, name: string, pattern: RegExp): Promise<SafetensorsError> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  const err = await readSafetensors(path).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(SafetensorsError);
  expect((err as Error).message).toContain(path);
  expect((err as Error).message).toMatch(pattern);
  expect((err as SafetensorsError).expected).toBe(true);
  return err as SafetensorsError;
}

const everyDtype: Map<string, SafeTensor> = new Map<string, SafeTensor>([
  ['f64', { dtype: 'F64', shape: [3], data: new Float64Array([1.5, -2.25, 1e300]) }],
  ['f32', { dtype: 'F32', shape: [2, 2], data: new Float32Array([0.1, -0.2, 3e38, -0]) }],
  ['f16', { dtype: 'F16', shape: [4], data: new Float32Array([1, -0.5, 65504, 2 ** -24]) }],
  ['bf16', { dtype: 'BF16', shape: [3], data: new Float32Array([1, -3.5, 2 ** 100]) }],
  ['i64', { dtype: 'I64', shape: [2], data: new BigInt64Array([-(2n ** 62n), 7n]) }],
  ['i32', { dtype: 'I32', shape: [3], data: new Int32Array([-2147483648, 0, 2147483647]) }],
  ['i16', { dtype: 'I16', shape: [2], data: new Int16Array([-32768, 32767]) }],
  ['i8', { dtype: 'I8', shape: [2], data: new Int8Array([-128, 127]) }],
  ['u64', { dtype: 'U64', shape: [1], data: new BigUint64Array([2n ** 64n - 1n]) }],
  ['u32', { dtype: 'U32', shape: [1], data: new Uint32Array([4294967295]) }],
  ['u16', { dtype: 'U16', shape: [1], data: new Uint16Array([65535]) }],
  ['u8', { dtype: 'U8', shape: [2], data: new Uint8Array([0, 255]) }],
  ['bool', { dtype: 'BOOL', shape: [2], data: new Uint8Array([1, 0]) }],
  ['scalar', { dtype: 'F32', shape: [], data: new Float32Array([42]) }],
  ['empty', { dtype: 'F32', shape: [0, 3], data: new Float32Array(0) }],
]);

describe('safetensors round trip', () => {
  it('writes and reads back every dtype, shape and the metadata', async () => {
    const path = join(dir, 'all.safetensors');
    await writeSafetensors(path, everyDtype, { format: 'pt', note: 'hello' });
    const back = await readSafetensors(path);
    expect(back.metadata).toEqual({ format: 'pt', note: 'hello' });
    expect([...back.tensors.keys()]).toEqual([...everyDtype.keys()]);
    for (const [name, t] of everyDtype) {
      const got = back.tensors.get(name)!;
      expect(got.dtype, name).toBe(t.dtype);
      expect(got.shape, name).toEqual(t.shape);
      expect(got.data.constructor, name).toBe(t.data.constructor);
      expect(Array.from(got.data as ArrayLike<number>), name).toEqual(Array.from(t.data as ArrayLike<number>));
    }
    // The sync pair reads and writes the same bytes.
    const syncPath = join(dir, 'all-sync.safetensors');
    writeSafetensorsSync(syncPath, everyDtype, { format: 'pt', note: 'hello' });
    expect(await readFile(syncPath)).toEqual(await readFile(path));
    expect(readSafetensorsSync(syncPath).tensors.get('i64')!.data).toEqual(everyDtype.get('i64')!.data);
  });

  it('aligns the data to 8 bytes, every tensor to its element size, and leaves no temporary file', async () => {
    const path = join(dir, 'aligned.safetensors');
    await writeSafetensors(path, new Map<string, SafeTensor>([
      ['odd', { dtype: 'U8', shape: [3], data: new Uint8Array([1, 2, 3]) }],
      ['x', { dtype: 'F32', shape: [1], data: new Float32Array([1]) }],
      ['h', { dtype: 'F16', shape: [1], data: new Float32Array([1]) }],
      ['d', { dtype: 'F64', shape: [1], data: new Float64Array([1]) }],
    ]));
    const bytes = await readFile(path);
    const headerLength = Number(bytes.readBigUInt64LE(0));
    expect(headerLength % 8).toBe(0);
    expect(bytes.length).toBe(8 + headerLength + 3 + 4 + 2 + 8);
    const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8'));
    expect(Object.keys(header)).toEqual(['odd', 'x', 'h', 'd']);
    expect([header.d, header.x, header.h, header.odd].map((e: { data_offsets: number[] }) => e.data_offsets)).toEqual([[0, 8], [8, 12], [12, 14], [14, 17]]);
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('rounds float32 to F16 and BF16 to nearest even', () => {
    expect(floatToHalf(1)).toBe(0x3c00);
    expect(floatToHalf(65504)).toBe(0x7bff);
    expect(floatToHalf(65520)).toBe(0x7c00); // halfway to the next step rounds up into infinity
    expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00); // a tie, the even neighbour
    expect(floatToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(floatToHalf(2 ** -24)).toBe(0x0001);
    expect(floatToHalf(2 ** -25)).toBe(0x0000); // tie between 0 and the smallest subnormal
    expect(floatToHalf(-0)).toBe(0x8000);
    expect(Number.isNaN(halfToFloat(floatToHalf(NaN)))).toBe(true);
    expect(halfToFloat(0xc000)).toBe(-2);
    expect(floatToBf16(1)).toBe(0x3f80);
    expect(floatToBf16(1 + 2 ** -8)).toBe(0x3f80); // tie, even
    expect(floatToBf16(1 + 3 * 2 ** -8)).toBe(0x3f82);
    expect(bf16ToFloat(0xc060)).toBe(-3.5);
    expect(Number.isNaN(bf16ToFloat(floatToBf16(NaN)))).toBe(true);
  });

  it('accepts raw half bits on write', () => {
    const bytes = encodeSafetensors(new Map([['h', { dtype: 'F16', shape: [2], data: new Uint16Array([0x3c00, 0xc000]) }]]));
    expect(Array.from(decodeSafetensors(bytes).tensors.get('h')!.data as Float32Array)).toEqual([1, -2]);
  });

  it('reads a file laid out by hand, offsets in any order', () => {
    const data = new Uint8Array(12 + 8);
    new DataView(data.buffer).setFloat32(0, 2.5, true); // "b" first in the data, last in the header
    new DataView(data.buffer).setInt32(4, -7, true);
    new DataView(data.buffer).setInt32(8, 9, true);
    new DataView(data.buffer).setBigInt64(12, -3n, true);
    const bytes = handMade(
      {
        a: { dtype: 'I32', shape: [2, 1], data_offsets: [4, 12] },
        __metadata__: { format: 'pt' },
        c: { dtype: 'I64', shape: [1], data_offsets: [12, 20] },
        b: { dtype: 'F32', shape: [], data_offsets: [0, 4] },
      },
      data,
    );
    const { tensors, metadata } = decodeSafetensors(bytes);
    expect(metadata).toEqual({ format: 'pt' });
    expect(tensors.get('a')).toEqual({ dtype: 'I32', shape: [2, 1], data: new Int32Array([-7, 9]) });
    expect(tensors.get('b')).toEqual({ dtype: 'F32', shape: [], data: new Float32Array([2.5]) });
    expect(tensors.get('c')).toEqual({ dtype: 'I64', shape: [1], data: new BigInt64Array([-3n]) });
  });
});

describe('safetensors errors', () => {
  const oneFloat = { x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };

  it('a file shorter than the length field', async () => {
    await expectFailure(new Uint8Array(5), 'tiny.safetensors', /truncated file: 5 bytes/);
  });

  it('a header length beyond the file', async () => {
    const good = handMade(oneFloat, new Uint8Array(8));
    await expectFailure(good.slice(0, 20), 'cut-header.safetensors', /truncated file: the header claims \d+ bytes but only 12 follow/);
  });

  it('an absurd header length', async () => {
    await expectFailure(handMade(oneFloat, new Uint8Array(8), 2n ** 40n), 'huge.safetensors', /header too long/);
  });

  it('truncated data names the tensor', async () => {
    const good = handMade(oneFloat, new Uint8Array(8));
    const err = await expectFailure(good.slice(0, good.length - 3), 'cut-data.safetensors', /tensor "x": data_offsets \[0, 8\] run past the end of the data \(5 bytes\)/);
    expect(err.tensor).toBe('x');
  });

  it('overlapping offsets', async () => {
    const header = {
      a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
    };
    await expectFailure(handMade(header, new Uint8Array(8)), 'overlap.safetensors', /tensor "b": data_offsets \[4, 8\] overlap those of "a"/);
  });

  it('offsets that disagree with dtype and shape', async () => {
    const header = { a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } };
    await expectFailure(handMade(header, new Uint8Array(8)), 'span.safetensors', /tensor "a": .*span 8 bytes but F32 \[3\] needs 12/);
    const backwards = { a: { dtype: 'F32', shape: [0], data_offsets: [8, 4] } };
    await expectFailure(handMade(backwards, new Uint8Array(8)), 'backwards.safetensors', /tensor "a": data_offsets must be \[begin, end\]/);
  });

  it('an unknown dtype', async () => {
    const header = { w: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } };
    const err = await expectFailure(handMade(header, new Uint8Array(1)), 'dtype.safetensors', /tensor "w": unknown dtype "F8_E4M3"/);
    expect(err.tensor).toBe('w');
  });

  it('a header that is not JSON', async () => {
    const bytes = new Uint8Array(8 + 4);
    new DataView(bytes.buffer).setBigUint64(0, 4n, true);
    bytes.set(Buffer.from('{"a'), 8);
    await expectFailure(bytes, 'json.safetensors', /header is not valid JSON/);
  });

  it('a missing file', async () => {
    await expect(readSafetensors(join(dir, 'nope.safetensors'))).rejects.toThrow(/nope\.safetensors: no such file/);
  });

  it('writing data that disagrees with its shape or dtype names the tensor and writes nothing', async () => {
    const path = join(dir, 'bad-write.safetensors');
    await expect(writeSafetensors(path, new Map([['w', { dtype: 'F32', shape: [2, 2], data: new Float32Array(3) }]]))).rejects.toThrow(
      /bad-write\.safetensors: tensor "w": shape \[2, 2\] has 4 elements but the data has 3/,
    );
    await expect(writeSafetensors(path, new Map([['w', { dtype: 'I32', shape: [1], data: new Float32Array(1) }]]))).rejects.toThrow(
      /tensor "w": I32 data must be a Int32Array, got Float32Array/,
    );
    await expect(writeSafetensors(path, new Map([['w', { dtype: 'Q4' as never, shape: [1], data: new Float32Array(1) }]]))).rejects.toThrow(
      /tensor "w": unknown dtype "Q4"/,
    );
    expect((await readdir(dir)).filter((n) => n.startsWith('bad-write') || n.includes('bad-write'))).toEqual([]);
  });
});

describe('tf bridges', () => {
  it('convert both ways without leaking tensors', () => {
    const before = tf.memory().numTensors;
    const source = new Map<string, tf.Tensor>([
      ['w', tf.tensor2d([[1, 2], [3, 4.5]])],
      ['ids', tf.tensor1d([3, -1], 'int32')],
      ['mask', tf.tensor1d([1, 0], 'bool')],
    ]);
    const stored = tfToTensors(source);
    expect(stored.get('w')).toEqual({ dtype: 'F32', shape: [2, 2], data: new Float32Array([1, 2, 3, 4.5]) });
    expect(tfToTensors(source, { floatDtype: 'BF16' }).get('w')!.dtype).toBe('BF16');
    const file = decodeSafetensors(encodeSafetensors(stored));
    const back = tensorsToTf(file.tensors);
    expect(back.get('w')!.arraySync()).toEqual([[1, 2], [3, 4.5]]);
    expect(back.get('ids')!.dtype).toBe('int32');
    expect(back.get('mask')!.dtype).toBe('bool');
    for (const t of [...source.values(), ...back.values()]) t.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('I64 values outside int32 are an error naming the tensor, and nothing leaks', () => {
    const before = tf.memory().numTensors;
    const tensors = new Map<string, SafeTensor>([
      ['ok', { dtype: 'F32', shape: [1], data: new Float32Array([1]) }],
      ['big', { dtype: 'I64', shape: [1], data: new BigInt64Array([2n ** 40n]) }],
    ]);
    expect(() => tensorsToTf(tensors, 'model.safetensors')).toThrow(/model\.safetensors: tensor "big": value 1099511627776 at index 0 does not fit in int32/);
    expect(tf.memory().numTensors).toBe(before);
  });
});
