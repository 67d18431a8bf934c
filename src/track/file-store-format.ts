// Text formats of MLflow's FileStore, written the way MLflow (PyYAML, Python floats) writes them:
// meta.yaml as `yaml.dump(default_flow_style=False, sort_keys=True)` and metric lines `ts value step`.

export type YamlValue = string | number | null | readonly never[];

/** A flat mapping in PyYAML's block style with sorted keys. Strings that YAML would retype are single-quoted. */
export function renderMetaYaml(fields: Record<string, YamlValue>): string {
  return Object.keys(fields)
    .sort()
    .map((key) => `${key}: ${yamlScalar(fields[key] ?? null)}\n`)
    .join('');
}

function yamlScalar(value: YamlValue): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return '[]';
  if (typeof value === 'number') return String(value);
  return yamlString(value as string);
}

// YAML 1.1 implicit types (PyYAML's resolver): such strings must be quoted to stay strings.
const IMPLICIT = [
  /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
  /^(?:~|null|Null|NULL)$/,
  /^[-+]?(?:0b[0-1_]+|0[0-7_]+|(?:0|[1-9][0-9_]*)|0x[0-9a-fA-F_]+|[1-9][0-9_]*(?::[0-5]?[0-9])+)$/,
  /^[-+]?(?:(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/,
  /^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)$/,
  /^(?:<<|=)$/,
];

export function yamlString(s: string): string {
  // Control characters, line breaks and non-BMP oddities go double-quoted with JSON escapes (valid YAML).
  if (/[\u0000-\u001f\u007f\u0085\u2028\u2029\ufeff]/.test(s)) return JSON.stringify(s);
  if (!needsQuotes(s)) return s;
  return `'${s.replace(/'/g, "''")}'`;
}

function needsQuotes(s: string): boolean {
  if (s === '') return true;
  if (IMPLICIT.some((re) => re.test(s))) return true;
  if (/^\s|\s$/.test(s)) return true;
  // Indicators that cannot start a plain scalar (PyYAML quotes '-' '?' ':' only when followed by a space or alone).
  if (/^[#,[\]{}&*!|>'"%@`]/.test(s)) return true;
  if (/^[-?:](\s|$)/.test(s)) return true;
  if (/: |:$| #/.test(s)) return true;
  return false;
}

/** A double as Python's repr() prints it (what MLflow writes in metric files): 1.0, 0.1, 1e-07, 1e+16, nan, inf. */
export function pythonFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  // toExponential() without digits gives the shortest round-trip digits, as repr() does.
  const [mantissa = '', expPart] = x.toExponential().split('e'); // split gives at least one part
  const exp = Number(expPart);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  const sign = negative ? '-' : '';
  if (exp < -4 || exp >= 16) {
    const frac = digits.slice(1);
    const expStr = `${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
    return `${sign}${digits[0]}${frac ? `.${frac}` : ''}e${expStr}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
  const fracPart = digits.slice(exp + 1);
  return `${sign}${intPart}.${fracPart || '0'}`;
}

/** One line of a FileStore metric file. */
export function metricLine(timestamp: number, value: number, step: number): string {
  return `${timestamp} ${pythonFloat(value)} ${step}\n`;
}

const PLAIN_WORD = /^[A-Za-z_][A-Za-z0-9_.:/@+-]*$/;
const DECIMAL_INT = /^-?(?:0|[1-9][0-9]{0,14})$/;

/**
 * The fields of a meta.yaml in exactly the form `renderMetaYaml` (and MLflow) writes, without the
 * yaml library (loading it costs about 0.1 s of CPU, most of what reading an experiment's meta.yaml
 * costs a run). Undefined for any other text, which the caller then parses with the library: a value
 * is read here only when it is a safe integer, null, [], a single-quoted string or a plain word, and
 * the fields must render back to the very same text, so nothing is read here that YAML reads otherwise.
 */
export function parseRenderedMeta(text: string): Record<string, YamlValue> | undefined {
  if (!text.endsWith('\n')) return undefined;
  const fields: Record<string, YamlValue> = {};
  for (const line of text.slice(0, -1).split('\n')) {
    const colon = line.indexOf(': ');
    if (colon <= 0) return undefined;
    const key = line.slice(0, colon);
    const raw = line.slice(colon + 2);
    if (!/^[a-z_]+$/.test(key) || Object.hasOwn(fields, key)) return undefined;
    let value: YamlValue;
    if (raw === 'null') value = null;
    else if (raw === '[]') value = [];
    else if (DECIMAL_INT.test(raw)) value = Number(raw);
    else if (raw.length >= 2 && raw.startsWith("'") && raw.endsWith("'")) value = raw.slice(1, -1).replace(/''/g, "'");
    else if (PLAIN_WORD.test(raw)) value = raw;
    else return undefined;
    fields[key] = value;
  }
  return renderMetaYaml(fields) === text ? fields : undefined;
}
