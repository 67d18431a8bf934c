// The plugin library's public entry: what built-in and third-party plugins build on. The engine
// never imports it. Each part is a namespace, so names stay short without clashing.
//
//   import { nn, data, tasks, lm, hub, negatives } from 'retort/dist/src/lib/index.js';   // an npm-package plugin
//   import { nn } from '../../src/lib/index.js';                         // a built-in plugin
export * as data from './data/index.js';
export * as tasks from './tasks/index.js';
export * as lm from './ml/lm/index.js';
export * as metrics from './ml/metrics.js';
export * as bm25 from './ml/bm25.js';
export * as nn from './nn/index.js';
export * as hub from './hub/index.js';
export * as negatives from './negatives/index.js';
export * as retrieval from './retrieval/index.js';
export * as reasoning from './reasoning/index.js';
