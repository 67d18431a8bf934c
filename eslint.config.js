// Lint and format rules for the whole tree (`npm run lint`, run by `.ci/run` before the tests).
// They describe the code as it is written: single quotes, semicolons, two-space indent, trailing
// commas in multi-line lists, lines of at most 160 characters.
//
// Type-aware rules (no-floating-promises and friends) need a TypeScript program of the whole tree,
// which costs several times the CPU of the plain run; they are opt-in: RETORT_LINT_TYPES=1 npm run lint.
import stylistic from '@stylistic/eslint-plugin';
import { builtinRules } from 'eslint/use-at-your-own-risk';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const TS = ['**/*.ts'];
const TYPED = process.env.RETORT_LINT_TYPES === '1';

// ESLint's own recommended set, read from the rules' metadata (the same list as @eslint/js's
// `recommended`, which is not installed).
const coreRecommended = Object.fromEntries(
  [...builtinRules].filter(([, rule]) => rule.meta?.docs?.recommended).map(([name]) => [name, 'error']),
);

const correctness = {
  ...coreRecommended,
  // An empty block, a bare `catch {}` included, is an error; a comment inside saying why the
  // error is dropped makes it pass.
  'no-empty': ['error', { allowEmptyCatch: false }],
  // Control characters in patterns are deliberate here (ANSI escapes, NUL-separated fields).
  'no-control-regex': 'off',
  // `/  /` is as readable as `/ {2}/` in the tests that match aligned output.
  'no-regex-spaces': 'off',
  // A destructuring that also binds a reassigned name stays `let`, and so does a binding a closure
  // reads before its single assignment (a subscriber that calls back into the object it is given to).
  'prefer-const': ['error', { destructuring: 'all', ignoreReadBeforeAssign: true }],
};

const typescript = {
  // A leading underscore marks a binding that is unused on purpose (a skipped tuple slot, a
  // property left out of a rest copy).
  '@typescript-eslint/no-unused-vars': ['error', {
    argsIgnorePattern: '^_',
    varsIgnorePattern: '^_',
    caughtErrorsIgnorePattern: '^_',
    destructuredArrayIgnorePattern: '^_',
    ignoreRestSiblings: true,
  }],
};

const typeAware = {
  '@typescript-eslint/no-floating-promises': 'error',
  '@typescript-eslint/no-misused-promises': 'error',
  '@typescript-eslint/await-thenable': 'error',
};

const formatting = {
  // Lines that hold a string, a template literal, a regular expression or a URL may run longer:
  // breaking a message or an expected line of output in two would make it harder to grep for.
  '@stylistic/max-len': ['error', { code: 160, ignoreUrls: true, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true }],
  '@stylistic/quotes': ['error', 'single', { avoidEscape: true, allowTemplateLiterals: 'always' }],
  '@stylistic/semi': ['error', 'always'],
  '@stylistic/semi-spacing': 'error',
  '@stylistic/no-extra-semi': 'error',
  // A type literal whose last member shares the closing brace's line is written as a one-liner.
  '@stylistic/member-delimiter-style': ['error', { multilineDetection: 'last-member' }],
  // Ternaries as written here: a chain of them flat, an object literal in a branch indented past the `?`.
  '@stylistic/indent': ['error', 2, { flatTernaryExpressions: true, offsetTernaryExpressions: true }],
  '@stylistic/comma-dangle': ['error', 'always-multiline'],
  '@stylistic/comma-spacing': 'error',
  '@stylistic/brace-style': ['error', '1tbs', { allowSingleLine: true }],
  '@stylistic/block-spacing': 'error',
  '@stylistic/keyword-spacing': 'error',
  '@stylistic/space-before-blocks': 'error',
  '@stylistic/space-before-function-paren': ['error', { anonymous: 'always', named: 'never', asyncArrow: 'always' }],
  '@stylistic/space-in-parens': 'error',
  '@stylistic/space-infix-ops': 'error',
  '@stylistic/function-call-spacing': 'error',
  '@stylistic/computed-property-spacing': 'error',
  '@stylistic/template-curly-spacing': 'error',
  '@stylistic/rest-spread-spacing': 'error',
  '@stylistic/switch-colon-spacing': 'error',
  '@stylistic/key-spacing': 'error',
  '@stylistic/type-annotation-spacing': 'error',
  '@stylistic/arrow-parens': ['error', 'always'],
  '@stylistic/arrow-spacing': 'error',
  '@stylistic/dot-location': ['error', 'property'],
  '@stylistic/new-parens': 'error',
  '@stylistic/spaced-comment': 'error',
  // Aligned end-of-line comments (tensor shapes beside each line) are kept.
  '@stylistic/no-multi-spaces': ['error', { ignoreEOLComments: true }],
  '@stylistic/no-tabs': 'error',
  '@stylistic/no-trailing-spaces': 'error',
  '@stylistic/no-multiple-empty-lines': ['error', { max: 2 }],
  '@stylistic/padded-blocks': ['error', 'never'],
  '@stylistic/eol-last': 'error',
  '@stylistic/linebreak-style': 'error',
};

export default [
  { ignores: ['dist/', 'node_modules/', 'runs/', 'src/lib/nn/kernels/native/build/'] },
  {
    files: ['**/*.{js,mjs,cjs,ts}'],
    languageOptions: { ecmaVersion: 'latest', sourceType: 'module', globals: globals.node },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: correctness,
  },
  ...tseslint.configs.recommended.map((config) => ({ ...config, files: TS })),
  { files: TS, rules: typescript },
  ...(TYPED ? [{
    files: TS,
    ignores: ['vitest.config.ts'],
    languageOptions: { parserOptions: { project: ['./test/tsconfig.json'], tsconfigRootDir: import.meta.dirname } },
    rules: typeAware,
  }] : []),
  { plugins: { '@stylistic': stylistic }, rules: formatting },
];
