// The bad-recipe corpus: every fixture under test/bad-recipes/ must fail `retort validate` and `retort run`
// with exit code 2, the exact first line (file:line:col: error: message), the key path, a caret under the
// right text, the hint ("did you mean" where one exists), the include chain, the raw/resolved text of
// interpolation errors, and nothing written under the runs directory.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { at } from '../util/at.js';

const FIXTURES = fileURLToPath(new URL('../bad-recipes/', import.meta.url));
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const UNSET = 'RETORT_TEST_SURELY_UNSET';

interface Case {
  /** A fixture under test/bad-recipes/ (paths in messages are relative to that folder, the working directory). */
  file: string;
  args?: string[];
  /** The exact first line. */
  error: string;
  /** The exact `at key:` line, or none when absent. */
  keyPath?: string;
  /** The text the caret line underlines (none when the source line is not shown). */
  underline?: string;
  /** The source line is not echoed (a binary file). */
  noSource?: boolean;
  hint?: string;
  raw?: string;
  resolved?: string;
  /** The include chain, innermost first: "included from f:l:c" or "extended by f:l:c". */
  includedFrom?: string[];
  notes?: string[];
}

const CASES: Case[] = [
  {
    file: 'command-param-undeclared.yaml',
    error: "command-param-undeclared.yaml:6:7: error: unknown param 'word' of plugin 'open-params'",
    keyPath: 'stages.count.params.word',
    underline: 'word',
    hint: "did you mean 'words'?",
    notes: ['expected one of: words', "the plugin's params schema does not list it; a plugin that takes any params says `additionalProperties: true`"],
  },
  {
    file: 'dependency-cycle.yaml',
    error: 'dependency-cycle.yaml:6:11: error: dependency cycle: first → third → second → first (each stage consumes the outputs of the next)',
    keyPath: 'stages.first.inputs.in',
    underline: '${stages.third.outputs.out}',
    hint: 'expected stages to form a DAG: a stage cannot consume its own outputs, directly or through other stages (for iterations use `repeat` with ${prev.outputs.<port>})',
  },
  {
    file: 'empty-stages.yaml',
    error: 'empty-stages.yaml:2:9: error: expected at least 1 entry, got an empty mapping',
    keyPath: 'stages',
    underline: '{}',
    hint: 'expected the steps of the recipe, at least one: <stage id>: { plugin, params, inputs, foreach or repeat, … }',
  },
  {
    file: 'empty.yaml',
    error: 'empty.yaml:1:1: error: expected a recipe: a mapping with a `stages` key, got an empty document',
    underline: '',
  },
  {
    file: 'env-unset.yaml',
    error: 'env-unset.yaml:6:19: error: environment variable RETORT_TEST_SURELY_UNSET is not set',
    keyPath: 'stages.list.params.command',
    underline: '${env:RETORT_TEST_SURELY_UNSET}',
    hint: 'set it, or give a default: ${env:RETORT_TEST_SURELY_UNSET,<default>}',
    raw: 'ls ${env:RETORT_TEST_SURELY_UNSET}',
  },
  {
    file: 'extends-error.yaml',
    error: 'parts/bad-base.yaml:9:21: error: expected one of "normal", "uniform", got string "gaussian"',
    keyPath: 'stages.sample.params.distribution',
    underline: 'gaussian',
    includedFrom: ['extended by extends-error.yaml:1:10'],
  },
  {
    // The first of five: the others follow in the same run (test/graph/compile-phases.test.ts checks them all).
    file: 'five-independent-mistakes.yaml',
    error: "five-independent-mistakes.yaml:5:5: error: unknown key 'parms' in stage 'sample'",
    keyPath: 'stages.sample.parms',
    underline: 'parms',
    hint: "did you mean 'params'?",
  },
  {
    file: 'foreach-and-repeat.yaml',
    error: 'foreach-and-repeat.yaml:6:5: error: a stage cannot have both `foreach` and `repeat`',
    keyPath: 'stages.sample.repeat',
    underline: 'repeat',
    hint: 'expected one of them: split the stage into a foreach stage and a repeated stage that consumes it',
  },
  {
    file: 'foreach-not-list.yaml',
    error: 'foreach-not-list.yaml:7:14: error: expected `foreach` to give a non-empty list, got number 3',
    keyPath: 'stages.sample.foreach',
    underline: '${vars.seeds}',
    raw: '${vars.seeds}',
    resolved: '3',
  },
  {
    file: 'foreach-number.yaml',
    error: 'foreach-number.yaml:5:14: error: expected a list or a ${…} expression, got number 5',
    keyPath: 'stages.sample.foreach',
    underline: '5',
  },
  {
    file: 'include-cycle.yaml',
    error: 'parts/cycle-b.yaml:1:10: error: include cycle: parts/cycle-a.yaml → parts/cycle-b.yaml → parts/cycle-a.yaml',
    underline: 'cycle-a.yaml',
    hint: 'expected each file to be included at most once along a chain of include/extends',
    includedFrom: ['included from parts/cycle-a.yaml:1:10', 'included from include-cycle.yaml:2:10'],
  },
  {
    file: 'include-inner-error.yaml',
    error: "parts/bad-stage.yaml:6:7: error: unknown param 'sed' of plugin 'numbers'",
    keyPath: 'stages.sample.params.sed',
    underline: 'sed',
    hint: "did you mean 'std'?",
    includedFrom: ['included from include-inner-error.yaml:4:5'],
    notes: ['expected one of: count, distribution, mean, std, low, high, seed'],
  },
  {
    file: 'include-list.yaml',
    error: "parts/list-fragment.yaml:1:1: error: expected the included fragment 'parts/list-fragment.yaml' to be a mapping of recipe keys, got a list",
    underline: '- count: 10',
    hint: 'expected top-level keys such as vars:, stages:, report: (a fragment is merged key by key into the file that includes it)',
    includedFrom: ['included from include-list.yaml:2:10'],
  },
  {
    file: 'include-scalar.yaml',
    error: "parts/scalar-fragment.yaml:1:1: error: expected the included fragment 'parts/scalar-fragment.yaml' to be a mapping of recipe keys, got string \"just a sentence\"",
    underline: 'just a sentence',
    hint: 'expected top-level keys such as vars:, stages:, report: (a fragment is merged key by key into the file that includes it)',
    includedFrom: ['included from include-scalar.yaml:4:5'],
  },
  {
    file: 'include-missing.yaml',
    error: "include-missing.yaml:4:5: error: cannot read included file 'parts/no-such-fragment.yaml': file not found",
    underline: 'parts/no-such-fragment.yaml',
    notes: [`looked for ${FIXTURES}parts/no-such-fragment.yaml (paths are relative to the including file)`],
  },
  {
    file: 'include-nested-error.yaml',
    error: "parts/bad-stage.yaml:6:7: error: unknown param 'sed' of plugin 'numbers'",
    keyPath: 'stages.sample.params.sed',
    underline: 'sed',
    hint: "did you mean 'std'?",
    includedFrom: ['included from parts/nested.yaml:1:29', 'included from include-nested-error.yaml:2:10'],
    notes: ['expected one of: count, distribution, mean, std, low, high, seed'],
  },
  {
    file: 'include-not-path.yaml',
    error: 'include-not-path.yaml:2:10: error: expected `include` to be a file path or a list of file paths, got number 5',
    keyPath: 'include',
    underline: '5',
  },
  {
    file: 'initial-without-repeat.yaml',
    error: 'initial-without-repeat.yaml:7:5: error: `initial` only applies to a stage with `repeat`',
    keyPath: 'stages.summary.initial',
    underline: 'initial',
    hint: 'expected these inputs under `inputs:`, or a `repeat:` count for this stage',
  },
  {
    file: 'inputs-wrong-type.yaml',
    error: 'inputs-wrong-type.yaml:6:13: error: expected a string or a list, got number 5',
    keyPath: 'stages.summary.inputs.data',
    underline: '5',
  },
  {
    file: 'interp-bad-syntax.yaml',
    error: "interp-bad-syntax.yaml:8:14: error: cannot parse '${vars..n}': expected a name after '.' at character 6",
    keyPath: 'stages.sample.params.count',
    underline: '${vars..n}',
    hint: 'expected a name such as vars.x, item, iter, env:NAME, prev.outputs.<port> or stages.<id>.outputs.<port>',
    raw: '${vars..n}',
  },
  {
    file: 'interp-unknown-name.yaml',
    error: "interp-unknown-name.yaml:8:14: error: unknown name 'var' in '${var.n}'",
    keyPath: 'stages.sample.params.count',
    underline: '${var.n}',
    hint: "did you mean 'vars'?",
    raw: '${var.n}',
  },
  {
    file: 'interp-unterminated.yaml',
    error: "interp-unterminated.yaml:8:14: error: unterminated '${': expected a closing '}'",
    keyPath: 'stages.sample.params.count',
    underline: '${vars.n',
    hint: "close it with '}', or write '$${' for a literal '${'",
    raw: '${vars.n',
  },
  {
    file: 'invalid-stage-name.yaml',
    error: "invalid-stage-name.yaml:3:3: error: invalid stage name '2nd sample'",
    keyPath: 'stages["2nd sample"]',
    underline: '2nd sample',
    hint: 'expected a name that starts with a letter or _ and contains only letters, digits, _ and -',
  },
  {
    file: 'item-outside-foreach.yaml',
    error: "item-outside-foreach.yaml:6:13: error: 'item' is only defined inside a stage with `foreach`",
    keyPath: 'stages.sample.params.seed',
    underline: '${item}',
    hint: 'expected `foreach:` on this stage, or a value that does not depend on the item',
    raw: '${item}',
  },
  {
    file: 'list-in-string.yaml',
    error: 'list-in-string.yaml:8:27: error: ${vars.seeds} is a list and cannot be embedded in a string',
    keyPath: 'stages.list.params.command',
    underline: '${vars.seeds}',
    hint: 'expected a string, number or boolean here; write the reference alone as the whole value to keep its type',
    raw: 'echo seeds ${vars.seeds}',
    resolved: 'echo seeds ',
  },
  {
    file: 'list-to-single-port.yaml',
    error: "list-to-single-port.yaml:11:13: error: input port 'data' of plugin 'stats' takes one value, but ${stages.sample.outputs.data} gives 3, one per foreach item of stage 'sample'",
    keyPath: 'stages.summary.inputs.data',
    underline: '${stages.sample.outputs.data}',
    hint: "expected one instance, e.g. ${stages.sample[1].outputs.data}; or a plugin whose port 'data' is declared with many: true",
  },
  {
    file: 'missing-input-file.yaml',
    error: "missing-input-file.yaml:6:13: error: input file or folder 'data/no-such-file.jsonl' does not exist",
    keyPath: 'stages.summary.inputs.data',
    underline: 'data/no-such-file.jsonl',
    hint: "expected a path relative to the recipe's folder, or a stage output ${stages.<id>.outputs.<port>}",
    notes: [`looked for ${FIXTURES}data/no-such-file.jsonl`],
  },
  {
    file: 'missing-plugin.yaml',
    error: "missing-plugin.yaml:3:3: error: missing required key 'plugin'",
    keyPath: 'stages.sample',
    underline: 'sample',
    hint: 'expected plugin: A built-in plugin id, a plugin folder (./path), or an npm package.',
  },
  {
    file: 'missing-required-input.yaml',
    error: "missing-required-input.yaml:3:3: error: missing input 'data' required by plugin 'stats'",
    keyPath: 'stages.summary',
    underline: 'summary',
    hint: "expected `inputs:` to give 'data' a stage output (${stages.<id>.outputs.<port>}) or a file path",
  },
  {
    file: 'missing-stages.yaml',
    error: "missing-stages.yaml:1:1: error: missing required key 'stages'",
    underline: 'name: missing-stages',
    hint: 'expected stages: the steps of the recipe, at least one: <stage id>: { plugin, params, inputs, foreach or repeat, … }',
  },
  {
    file: 'param-enum.yaml',
    error: 'param-enum.yaml:6:21: error: expected one of "normal", "uniform", got string "unifrom"',
    keyPath: 'stages.sample.params.distribution',
    underline: 'unifrom',
    hint: "did you mean 'uniform'?",
  },
  {
    file: 'param-item-type.yaml',
    error: 'param-item-type.yaml:10:24: error: expected a number ≤ 1, got number 1.5',
    keyPath: 'stages.summary.params.quantiles[1]',
    underline: '1.5',
  },
  {
    file: 'param-minimum.yaml',
    error: 'param-minimum.yaml:6:14: error: expected an integer ≥ 1, got number 0',
    keyPath: 'stages.sample.params.count',
    underline: '0',
  },
  {
    file: 'param-missing-required.yaml',
    error: "param-missing-required.yaml:5:5: error: missing required param 'command' of plugin 'shell'",
    keyPath: 'stages.list.params',
    underline: 'params',
    hint: 'expected command: the command line, run with the shell in the output folder',
  },
  {
    file: 'param-wrong-type-from-var.yaml',
    error: 'param-wrong-type-from-var.yaml:8:14: error: expected an integer, got string "ten"',
    keyPath: 'stages.sample.params.count',
    underline: '${vars.n}',
    raw: '${vars.n}',
    resolved: 'ten',
  },
  {
    file: 'param-wrong-type.yaml',
    error: 'param-wrong-type.yaml:6:14: error: expected an integer, got string "many"',
    keyPath: 'stages.sample.params.count',
    underline: 'many',
  },
  {
    file: 'params-not-mapping.yaml',
    error: 'params-not-mapping.yaml:5:13: error: expected a mapping, got a list',
    keyPath: 'stages.sample.params',
    underline: '[count, 10]',
  },
  {
    file: 'plugin-folder-empty.yaml',
    error: "plugin-folder-empty.yaml:4:13: error: plugin folder './plugins/no-entry' has no plugin.yaml, index.js or index.mjs",
    keyPath: 'stages.sample.plugin',
    underline: './plugins/no-entry',
    hint: 'expected plugin.yaml (a command plugin), or index.js / index.mjs exporting definePlugin({...})',
    notes: [`looked in ${FIXTURES}plugins/no-entry`],
  },
  {
    file: 'plugin-folder-missing.yaml',
    error: "plugin-folder-missing.yaml:4:13: error: plugin folder './plugins/does-not-exist' does not exist",
    keyPath: 'stages.sample.plugin',
    underline: './plugins/does-not-exist',
    hint: "expected a folder (relative to the recipe's folder) holding plugin.yaml (a command plugin) or index.js (a module plugin)",
    notes: [`looked in ${FIXTURES}plugins/does-not-exist`],
  },
  {
    file: 'plugin-module-invalid.yaml',
    error: "plugin-module-invalid.yaml:4:13: error: invalid plugin './plugins/no-run': 'run' must be a function",
    keyPath: 'stages.sample.plugin',
    underline: './plugins/no-run',
    hint: 'expected the module to export default definePlugin({ id, version, params, outputs, run })',
    notes: [`loaded ${FIXTURES}plugins/no-run/index.js`],
  },
  {
    file: 'plugin-yaml-invalid.yaml',
    error: "plugin-yaml-invalid.yaml:4:13: error: invalid plugin.yaml of plugin './plugins/no-version': 'version' must be a string",
    keyPath: 'stages.sample.plugin',
    underline: './plugins/no-version',
    hint: 'expected plugin.yaml with id, version, command and outputs (and optionally params, inputs, env)',
    notes: [`read ${FIXTURES}plugins/no-version/plugin.yaml`],
  },
  {
    file: 'plugin-yaml-syntax.yaml',
    error: 'plugins/bad-yaml/plugin.yaml:3:17: error: YAML syntax error: missing closing " quote: this string never ends',
    underline: '"',
    hint: "plugin of stage 'sample': plugin-yaml-syntax.yaml:4:13",
    notes: ['1 more syntax error(s) follow from this one'],
  },
  {
    file: 'prev-outside-repeat.yaml',
    error: "prev-outside-repeat.yaml:8:13: error: 'prev' is only defined inside a stage with `repeat`",
    keyPath: 'stages.summary.inputs.data',
    underline: '${prev.outputs.summary}',
    hint: 'expected `repeat:` on this stage, or ${stages.<id>.outputs.<port>} for another stage',
    raw: '${prev.outputs.summary}',
  },
  {
    file: 'prev-without-initial.yaml',
    error: "prev-without-initial.yaml:3:3: error: missing input 'data' required by plugin 'stats' (iteration 0)",
    keyPath: 'stages.refine',
    underline: 'refine',
    hint: 'iteration 0 has no previous iteration: expected this port under `initial:` as well',
  },
  {
    file: 'repeat-iteration-out-of-range.yaml',
    error: "repeat-iteration-out-of-range.yaml:15:13: error: stage 'refine' has no iteration '5' (it repeats 3 times)",
    keyPath: 'stages.final.inputs.data',
    underline: '${stages.refine[5].outputs.summary}',
    hint: 'expected an iteration from 0 to 2, or -1 for the last',
    raw: '${stages.refine[5].outputs.summary}',
  },
  {
    file: 'repeat-not-integer.yaml',
    error: 'repeat-not-integer.yaml:5:13: error: expected an integer or a ${…} expression, got string "three"',
    keyPath: 'stages.sample.repeat',
    underline: 'three',
  },
  {
    file: 'repeat-zero-from-var.yaml',
    error: 'repeat-zero-from-var.yaml:7:13: error: expected `repeat` to be an integer ≥ 1, got number 0',
    keyPath: 'stages.sample.repeat',
    underline: '${vars.rounds}',
    raw: '${vars.rounds}',
    resolved: '0',
  },
  {
    file: 'repeat-zero.yaml',
    error: 'repeat-zero.yaml:5:13: error: expected an integer ≥ 1, got number 0',
    keyPath: 'stages.sample.repeat',
    underline: '0',
  },
  {
    file: 'report-unknown-stage.yaml',
    error: "report-unknown-stage.yaml:12:14: error: unknown stage 'sumary'",
    keyPath: 'report.tables[0].stage',
    underline: 'sumary',
    hint: "did you mean 'summary'?",
  },
  {
    file: 'report-row-unknown-form.yaml',
    error: "report-row-unknown-form.yaml:11:12: error: unknown row form 'items'",
    keyPath: 'report.tables[0].row',
    underline: 'items',
    hint: "did you mean 'item'?",
    notes: ['expected item, item.<field>, iter, params.<path>, node, stage, trial or trial.<axis path>'],
  },
  {
    file: 'report-row-unknown-param.yaml',
    error: "report-row-unknown-param.yaml:11:12: error: row 'params.seeds': plugin 'numbers' of stage 'sample' has no param 'seeds'",
    keyPath: 'report.tables[0].row',
    underline: 'params.seeds',
    hint: "did you mean 'seed'?",
    notes: ['expected one of: count, distribution, mean, std, low, high, seed'],
  },
  {
    file: 'report-unknown-stage-in-list.yaml',
    error: "report-unknown-stage-in-list.yaml:11:23: error: unknown stage 'sumary'",
    keyPath: 'report.tables[0].stage[1]',
    underline: 'sumary',
    hint: "did you mean 'summary'?",
  },
  {
    file: 'resources-bad-time-limit.yaml',
    error: 'resources-bad-time-limit.yaml:6:18: error: expected a time limit such as 90m, 2h, 30:00 or 1-00:00:00, got "1 hour"',
    keyPath: 'stages.sample.resources.timeLimit',
    underline: '1 hour',
  },
  {
    file: 'resources-interpolated-cpus.yaml',
    error: 'resources-interpolated-cpus.yaml:8:13: error: expected an integer ≥ 1, got "none"',
    keyPath: 'stages.sample.resources.cpus',
    underline: '${vars.cores}',
    raw: '${vars.cores}',
    resolved: 'none',
  },
  {
    file: 'selector-on-single-stage.yaml',
    error: "selector-on-single-stage.yaml:8:13: error: stage 'sample' has no instances to select from: it has neither `foreach` nor `repeat`",
    keyPath: 'stages.summary.inputs.data',
    underline: '${stages.sample[0].outputs.data}',
    hint: 'expected ${stages.sample.outputs.data}',
    raw: '${stages.sample[0].outputs.data}',
  },
  {
    file: 'stage-output-in-params.yaml',
    error: 'stage-output-in-params.yaml:8:20: error: stage outputs can only be used in `inputs`',
    keyPath: 'stages.list.params.command',
    underline: '${stages.sample.outputs.data}',
    hint: 'expected a value known before anything runs (vars, env, item, iter); pass the output through `inputs:` instead',
    raw: 'cat ${stages.sample.outputs.data}',
  },
  {
    file: 'table-bad-aggregate.yaml',
    error: 'table-bad-aggregate.yaml:9:18: error: expected one of "mean", "mean ± std", "mean ± sem", "mean±std", "mean±se", "median", "min", "max", "last", got string "meen"',
    keyPath: 'report.tables[0].aggregate',
    underline: 'meen',
    hint: "did you mean 'mean'?",
  },
  {
    file: 'table-formats.yaml',
    error: "table-formats.yaml:9:7: error: unknown key 'formats' in report.tables[0]",
    keyPath: 'report.tables[0].formats',
    underline: 'formats',
    hint: 'the output format is chosen when printing: `retort report <recipe> --format markdown|csv|latex|html [--out FILE]`',
  },
  {
    file: 'table-missing-metrics.yaml',
    error: "table-missing-metrics.yaml:7:7: error: missing required key 'metrics'",
    keyPath: 'report.tables[0]',
    underline: 'stage: sample',
    hint: 'expected metrics: Metric names or globs (a * matches any text; the matched part becomes the column label).',
  },
  {
    file: 'table-stage-not-a-name.yaml',
    error: 'table-stage-not-a-name.yaml:7:14: error: expected a string or a list, got a mapping',
    keyPath: 'report.tables[0].stage',
    underline: '{ name: sample }',
  },
  {
    file: 'unknown-input-port.yaml',
    error: "unknown-input-port.yaml:8:7: error: plugin 'stats' has no input port 'dat'",
    keyPath: 'stages.summary.inputs.dat',
    underline: 'dat',
    hint: "did you mean 'data'?",
    notes: ['expected one of: data'],
  },
  {
    file: 'unknown-instance.yaml',
    error: "unknown-instance.yaml:11:13: error: stage 'sample' has no foreach item '4'",
    keyPath: 'stages.summary.inputs.data',
    underline: '${stages.sample[4].outputs.data}',
    hint: 'expected one of: 1, 2, 3',
    raw: '${stages.sample[4].outputs.data}',
  },
  {
    file: 'unknown-output-port.yaml',
    error: "unknown-output-port.yaml:8:13: error: stage 'sample' (plugin 'numbers') has no output port 'dta'",
    keyPath: 'stages.summary.inputs.data',
    underline: '${stages.sample.outputs.dta}',
    hint: "did you mean 'data'?",
    raw: '${stages.sample.outputs.dta}',
  },
  {
    file: 'unknown-param.yaml',
    error: "unknown-param.yaml:6:7: error: unknown param 'cout' of plugin 'numbers'",
    keyPath: 'stages.sample.params.cout',
    underline: 'cout',
    hint: "did you mean 'count'?",
    notes: ['expected one of: count, distribution, mean, std, low, high, seed'],
  },
  {
    file: 'unknown-plugin.yaml',
    error: "unknown-plugin.yaml:4:13: error: unknown plugin 'numbrs'",
    keyPath: 'stages.sample.plugin',
    underline: 'numbrs',
    hint: "did you mean 'numbers'?",
    notes: ['a plugin is a built-in id, a folder path (./my-plugin) or an installed npm package; `retort plugins` lists the built-in ones'],
  },
  {
    file: 'unknown-stage-key.yaml',
    error: "unknown-stage-key.yaml:5:5: error: unknown key 'param' in stage 'sample'",
    keyPath: 'stages.sample.param',
    underline: 'param',
    hint: "did you mean 'params'?",
    notes: ['expected one of: plugin, description, params, inputs, foreach, repeat, initial, resources'],
  },
  {
    file: 'unknown-stage-ref.yaml',
    error: "unknown-stage-ref.yaml:8:13: error: unknown stage 'sampel'",
    keyPath: 'stages.summary.inputs.data',
    underline: '${stages.sampel.outputs.data}',
    hint: "did you mean 'sample'?",
    raw: '${stages.sampel.outputs.data}',
  },
  {
    file: 'unknown-top-key.yaml',
    error: "unknown-top-key.yaml:5:1: error: unknown key 'reprot' at the top level of the recipe",
    keyPath: 'reprot',
    underline: 'reprot',
    hint: "did you mean 'report'?",
    notes: ['expected one of: name, description, include, extends, vars, stages, report, track, sweep, executor'],
  },
  {
    file: 'unknown-var.yaml',
    error: "unknown-var.yaml:8:14: error: unknown variable 'vars.cont'",
    keyPath: 'stages.sample.params.count',
    underline: '${vars.cont}',
    hint: "did you mean 'count'?",
    raw: '${vars.cont}',
  },
  {
    file: 'var-cycle.yaml',
    error: 'var-cycle.yaml:3:6: error: variables refer to each other in a cycle: vars.a → vars.b → vars.c → vars.a',
    keyPath: 'vars.a',
    underline: '${vars.b}',
    raw: '${vars.b}',
  },
  {
    file: 'var-env-unset.yaml',
    error: 'var-env-unset.yaml:4:11: error: environment variable RETORT_TEST_SURELY_UNSET is not set',
    keyPath: 'vars.paths.data',
    underline: '${env:RETORT_TEST_SURELY_UNSET}',
    hint: 'set it, or give a default: ${env:RETORT_TEST_SURELY_UNSET,<default>}',
    raw: '${env:RETORT_TEST_SURELY_UNSET}/data',
  },
  {
    file: 'var-missing-field.yaml',
    error: "var-missing-field.yaml:9:14: error: 'vars.config' has no key 'szie'",
    keyPath: 'stages.sample.params.count',
    underline: '${vars.config.szie}',
    hint: "did you mean 'size'?",
    raw: '${vars.config.szie}',
  },
  {
    file: 'yaml-bad-indent.yaml',
    error: 'yaml-bad-indent.yaml:5:6: error: YAML syntax error: bad indentation: line 5 starts at column 6, deeper than the key above it (column 5)',
    underline: 'params:',
    hint: 'expected keys of one mapping to start in the same column (a nested mapping goes below a key that has no value on its line)',
    notes: ['1 more syntax error(s) follow from this one'],
  },
  {
    file: 'yaml-duplicate-key.yaml',
    error: "yaml-duplicate-key.yaml:7:7: error: YAML syntax error: duplicate key 'count' (first defined at line 6)",
    underline: 'count',
    hint: 'expected each key once in a mapping: remove or rename one of them',
  },
  {
    file: 'yaml-flow-interpolation.yaml',
    error: 'yaml-flow-interpolation.yaml:7:22: error: YAML syntax error: a ${…} inside { } or [ ] must be quoted',
    underline: '${vars.n}',
    hint: 'expected a quoted string, e.g. "${vars.n}", or one key per line (block style)',
    notes: ['6 more syntax error(s) follow from this one'],
  },
  {
    file: 'yaml-flow-list-interpolation.yaml',
    error: 'yaml-flow-list-interpolation.yaml:8:15: error: YAML syntax error: a ${…} inside { } or [ ] must be quoted',
    underline: '${item}',
    hint: 'expected a quoted string, e.g. "${item}", or one key per line (block style)',
  },
  {
    file: 'yaml-tab-indent.yaml',
    error: 'yaml-tab-indent.yaml:4:1: error: YAML syntax error: a tab is used for indentation',
    underline: '\t',
    hint: 'expected spaces: YAML does not allow tabs in indentation',
  },
  {
    file: 'yaml-unclosed-quote.yaml',
    error: 'yaml-unclosed-quote.yaml:6:16: error: YAML syntax error: missing closing " quote: this string never ends',
    underline: '"',
    hint: 'expected a " at the end of the string (inside it, write \\" for a literal ")',
  },
  {
    file: 'yaml-alias-undefined.yaml',
    error: "yaml-alias-undefined.yaml:5:13: error: alias '*defaults' refers to no anchor: '&defaults' is not defined in this file",
    underline: '*defaults',
    hint: 'expected an anchor such as `base: &defaults {...}` earlier in the same file (anchors do not cross include/extends)',
  },
  {
    file: 'yaml-alias-before-anchor.yaml',
    error: "yaml-alias-before-anchor.yaml:5:13: error: alias '*defaults' is used before its anchor '&defaults' (defined at line 7)",
    underline: '*defaults',
    hint: 'expected the anchor earlier in the file than every alias of it: move the anchored value up',
  },
  {
    file: 'yaml-alias-inside-itself.yaml',
    error: "yaml-alias-inside-itself.yaml:3:19: error: alias '*loop' is inside the value it refers to, so it would never end",
    underline: '*loop',
    hint: 'expected the alias outside its anchored value',
  },
  {
    file: 'yaml-alias-bomb.yaml',
    error: "yaml-alias-bomb.yaml:6:47: error: aliases expand to more than 10000 values (starting at '*l2'): aliases nested inside anchored values multiply",
    underline: '*l2',
    hint: 'expected anchors reused a few times; for many copies of a value use a var (${vars.<name>}) instead',
  },
  {
    file: 'yaml-merge-not-mapping.yaml',
    error: 'yaml-merge-not-mapping.yaml:8:11: error: a merge key `<<` takes mappings only',
    underline: '*count',
    hint: 'expected `<<: *anchor` or `<<: [*a, *b]`, each anchor naming a mapping',
  },
  {
    file: 'yaml-duplicate-directive.yaml',
    error: 'yaml-duplicate-directive.yaml:2:1: error: YAML syntax error: a second %YAML directive (the first is on line 1)',
    underline: '%YAML',
    hint: 'expected at most one %YAML line at the top of the file',
  },
  {
    file: 'yaml-bare-cr.yaml',
    error: "yaml-bare-cr.yaml:6:7: error: unknown param 'cout' of plugin 'numbers'",
    keyPath: 'stages.sample.params.cout',
    underline: 'cout',
    hint: "did you mean 'count'?",
  },
  {
    file: 'yaml-unclosed-bracket.yaml',
    error: "yaml-unclosed-bracket.yaml:3:10: error: YAML syntax error: this '[' is never closed",
    underline: '[',
    hint: "expected a ']' to end the list that starts here (inside [ ] and { } line breaks do not end it)",
  },
  {
    file: 'yaml-unclosed-brace.yaml',
    error: "yaml-unclosed-brace.yaml:5:13: error: YAML syntax error: this '{' is never closed",
    underline: '{',
    hint: "expected a '}' to end the mapping that starts here (inside [ ] and { } line breaks do not end it)",
  },
  {
    file: 'yaml-multi-document.yaml',
    error: 'yaml-multi-document.yaml:5:1: error: a recipe file holds one YAML document, but a second one starts on line 5',
    underline: '---',
    hint: "expected one document: remove this '---' and what follows, or move it to its own file (include and extends share parts between recipes)",
  },
  {
    file: 'yaml-binary.yaml',
    error: 'yaml-binary.yaml:1:1: error: the recipe is not a YAML text file: it is not valid UTF-8 text',
    noSource: true,
    hint: 'expected a UTF-8 YAML file (is this the right path?)',
  },
  {
    file: 'yaml-deep-nesting.yaml',
    error: 'yaml-deep-nesting.yaml:3:107: error: YAML nesting is deeper than 100 levels here',
    underline: '[',
    hint: 'expected at most 100 levels of nested mappings and lists',
  },
  {
    file: 'override-target.yaml',
    args: ['-S', 'stagse.sample.params.count=3'],
    error: "<command line>:1:4: error: unknown override path 'stagse.sample.params.count': expected it to start with name, description, vars., stages., report, track",
    keyPath: 'stagse.sample.params.count',
    underline: 'stagse.sample.params.count',
    hint: "did you mean 'stages'?",
  },
  {
    file: 'override-target.yaml',
    args: ['-S', 'stages.sample.params.cout=3'],
    error: "<command line>:1:4: error: unknown param 'cout' of stage 'sample'",
    keyPath: 'stages.sample.params.cout',
    underline: 'stages.sample.params.cout',
    hint: "did you mean 'count'?",
  },
  {
    file: 'override-target.yaml',
    args: ['-S', 'stages.sample.params.count=abc'],
    error: "<command line>:1:31: error: bad value for 'stages.sample.params.count': expected an integer, got 'abc'",
    keyPath: 'stages.sample.params.count',
    underline: 'abc',
  },
  {
    file: 'override-target.yaml',
    args: ['-S', 'vars.count'],
    error: "<command line>:1:4: error: override 'vars.count' has no '=': expected path=value",
    underline: 'vars.count',
    hint: 'e.g. -S vars.seed=2 or -S stages.train.params.lr=0.001',
  },
  {
    file: 'override-target.yaml',
    args: ['-S', 'vars.cont=3'],
    error: "<command line>:1:4: error: unknown variable 'vars.cont'",
    keyPath: 'vars.cont',
    underline: 'vars.cont',
    hint: "did you mean 'count'?",
  },
  {
    file: 'override-target.yaml',
    args: ['-S', 'vars.count=abc'],
    error: "<command line>:1:15: error: bad value for 'vars.count': expected a number, got 'abc'",
    keyPath: 'vars.count',
    underline: 'abc',
  },
  {
    file: 'override-target.yaml',
    args: ['-S', 'stages.sample.params.distribution=gauss'],
    error: '<command line>:1:38: error: expected one of "normal", "uniform", got string "gauss"',
    keyPath: 'stages.sample.params.distribution',
    underline: 'gauss',
  },
  {
    file: 'override-target.yaml',
    args: ['-S', 'stages.sample.plugin=stats'],
    error: "override-target.yaml:9:7: error: unknown param 'count' of plugin 'stats'",
    keyPath: 'stages.sample.params.count',
    underline: 'count',
    hint: 'expected one of: field, quantiles',
    raw: '${vars.count}',
    resolved: '10',
  },
  {
    file: 'override-target.yaml',
    args: ['-S', 'stages.sample.plugin=numbrs'],
    error: "<command line>:1:25: error: unknown plugin 'numbrs'",
    keyPath: 'stages.sample.plugin',
    underline: 'numbrs',
    hint: "did you mean 'numbers'?",
  },
  {
    file: 'override-target.yaml',
    args: ['-S', 'stages.sample.repeat=0'],
    error: '<command line>:1:25: error: expected an integer ≥ 1, got number 0',
    keyPath: 'stages.sample.repeat',
    underline: '0',
  },
];

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

function childEnv(runsDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, RETORT_RUNS_DIR: runsDir, NO_COLOR: '1' };
  delete env[UNSET];
  delete env.MLFLOW_TRACKING_URI;
  return env;
}

async function runInProcess(argv: string[], runsDir: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await main(argv, { stdout, stderr, cwd: FIXTURES, env: childEnv(runsDir) });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

function argvFor(command: 'validate' | 'run', c: Case, runsDir: string): string[] {
  // validate finds the runs directory through RETORT_RUNS_DIR, run through --runs-dir: both must stay untouched.
  return command === 'run' ? ['run', c.file, '--no-track', '--runs-dir', runsDir, ...(c.args ?? [])] : ['validate', c.file, ...(c.args ?? [])];
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

/** The lines of the source a location points at: the fixture's line, or the -S override as typed. */
function sourceText(file: string, line: number, c: Case): string {
  if (file === '<command line>') return `-S ${c.args![c.args!.indexOf('-S') + 1]}`;
  return at(readFileSync(join(FIXTURES, file), 'utf8').split(/\r\n|\r|\n/), line - 1);
}

function checkOutput(stderr: string, c: Case): void {
  const blocks = stderr.trimEnd().split('\n\n');
  const lines = blocks[0]!.split('\n');
  expect(lines[0]).toBe(c.error);
  // Every diagnostic, not only the first, is located.
  for (const block of blocks) expect(block.split('\n')[0]).toMatch(/^\S.*:\d+:\d+: error: \S/);
  expect(stderr.trimEnd().split('\n').pop()).toMatch(/nothing was run$/);

  const keyLines = lines.filter((l) => l.startsWith('  at key: '));
  expect(keyLines).toEqual(c.keyPath === undefined ? [] : [`  at key: ${c.keyPath}`]);

  if (c.noSource) {
    expect(lines.filter((l) => /^  \d+ \| |^ +\| /.test(l))).toEqual([]);
    expect(stderr.length, 'a short message').toBeLessThan(400);
  }
  const location = /^(.*):(\d+):(\d+): error: /.exec(c.error)!;
  const [file, line, col] = [location[1]!, location[2]!, location[3]!];
  if (c.noSource) return checkTexts(lines, c);
  const text = sourceText(file!, Number(line), c);
  const gutter = line;
  const sourceIndex = lines.indexOf(`  ${gutter} | ${text}`);
  expect(sourceIndex, `source line ${gutter} of ${file} is shown`).toBeGreaterThan(0);
  const caret = lines[sourceIndex + 1]!;
  const prefix = `  ${' '.repeat(gutter.length)} | `;
  expect(caret.startsWith(prefix)).toBe(true);
  const marks = caret.slice(prefix.length);
  expect(marks).toMatch(/^ *\^+$/);
  expect(marks.indexOf('^') + 1, 'caret column').toBe(Number(col));
  expect(text.slice(Number(col) - 1, Number(col) - 1 + marks.trim().length)).toBe(c.underline);

  checkTexts(lines, c);
}

function checkTexts(lines: string[], c: Case): void {
  const optional = (label: string, value: string | undefined) => {
    const found = lines.filter((l) => l.startsWith(`  ${label}`));
    expect(found).toEqual(value === undefined ? [] : [`  ${label}${value}`]);
  };
  optional('raw:      ', c.raw);
  optional('resolved: ', c.resolved);
  if (c.hint !== undefined) expect(lines).toContain(`  ${c.hint}`);
  expect(lines.filter((l) => /^  (included from|extended by) /.test(l)).map((l) => l.slice(2))).toEqual(c.includedFrom ?? []);
  for (const note of c.notes ?? []) expect(lines).toContain(`  note: ${note}`);
}

let runsDir: string;
beforeAll(() => { runsDir = mkdtempSync(join(tmpdir(), 'retort-bad-recipes-')); });
afterAll(() => { rmSync(runsDir, { recursive: true, force: true }); });

describe('the bad-recipe corpus', () => {
  it('has an expectation for every fixture, and at least 45 bad recipes', () => {
    const fixtures = readdirSync(FIXTURES).filter((f) => f.endsWith('.yaml') && f !== 'override-target.yaml').sort();
    const covered = [...new Set(CASES.map((c) => c.file))].filter((f) => f !== 'override-target.yaml').sort();
    expect(covered).toEqual(fixtures);
    expect(CASES.length).toBeGreaterThanOrEqual(45);
  });

  it('override-target.yaml is valid without overrides (the override cases fail only because of -S)', async () => {
    const { code, stdout } = await runInProcess(['validate', 'override-target.yaml'], runsDir);
    expect(stdout).toContain('ok');
    expect(code).toBe(0);
  });

  for (const c of CASES) {
    it(`${c.file}${c.args ? ` ${c.args.join(' ')}` : ''}`, async () => {
      for (const command of ['validate', 'run'] as const) {
        const { code, stdout, stderr } = await runInProcess(argvFor(command, c, runsDir), runsDir);
        expect(code, `${command}: ${stderr}`).toBe(2);
        expect(stdout).toBe('');
        checkOutput(stderr, c);
      }
      expect(filesUnder(runsDir)).toEqual([]);
    });
  }
});

describe('the bad-recipe corpus through the real CLI', () => {
  // A few cases as child processes: exit status and stderr of the installed binary, not only of main().
  const picks = ['yaml-flow-interpolation.yaml', 'include-inner-error.yaml', 'unknown-param.yaml', 'env-unset.yaml'];
  const cases = [...CASES.filter((c) => picks.includes(c.file)), CASES.find((c) => c.args)!];
  const spawnCli = (argv: string[]) => new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
    execFile(process.execPath, [join(REPO, 'bin', 'retort.js'), ...argv], { cwd: FIXTURES, env: childEnv(runsDir) }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
    });
  });

  it('exits 2 with the same diagnostics, and writes nothing', async () => {
    // Two at a time: the machine is shared.
    for (let i = 0; i < cases.length; i += 2) {
      await Promise.all(cases.slice(i, i + 2).flatMap((c) => (['validate', 'run'] as const).map(async (command) => {
        const child = await spawnCli(argvFor(command, c, runsDir));
        expect(child.code, child.stderr).toBe(2);
        expect(child.stdout).toBe('');
        checkOutput(child.stderr, c);
        const inProcess = await runInProcess(argvFor(command, c, runsDir), runsDir);
        expect(child.stderr).toBe(inProcess.stderr);
      })));
    }
    expect(filesUnder(runsDir)).toEqual([]);
  });
});
