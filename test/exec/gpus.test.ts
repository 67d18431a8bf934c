import { describe, expect, it } from 'vitest';
import { gpuPool, visibleDevices } from '../../src/exec/gpus.js';

describe('GPU pool of the local executor', () => {
  it('reads CUDA_VISIBLE_DEVICES: a list, or none for unset, empty and -1', () => {
    expect(visibleDevices({ CUDA_VISIBLE_DEVICES: '2, 3' })).toEqual(['2', '3']);
    expect(visibleDevices({ CUDA_VISIBLE_DEVICES: 'GPU-1a2b,GPU-3c4d' })).toEqual(['GPU-1a2b', 'GPU-3c4d']);
    for (const env of [{}, { CUDA_VISIBLE_DEVICES: '' }, { CUDA_VISIBLE_DEVICES: '-1' }]) expect(visibleDevices(env)).toEqual([]);
  });

  it('--gpus N takes the first N visible devices, or 0…N-1 when none are listed', () => {
    expect(gpuPool(undefined, {})).toEqual([]);
    expect(gpuPool(undefined, { CUDA_VISIBLE_DEVICES: '4,6' })).toEqual(['4', '6']);
    expect(gpuPool(3, {})).toEqual(['0', '1', '2']);
    expect(gpuPool(1, { CUDA_VISIBLE_DEVICES: '4,6' })).toEqual(['4']);
    expect(gpuPool(0, { CUDA_VISIBLE_DEVICES: '4,6' })).toEqual([]);
    expect(gpuPool(2, { CUDA_VISIBLE_DEVICES: '' })).toEqual({ error: '--gpus 2, but CUDA_VISIBLE_DEVICES="" makes only 0 visible' });
  });
});
