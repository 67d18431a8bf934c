// `retort report`: the older name of `retort table`, kept working.
import { tableCommand } from './table.js';

export const command = tableCommand('report', 'the same as `retort table` (its older name)');
