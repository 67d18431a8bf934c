// `retort serve-lm`: serves a built-in n-gram LM over the OpenAI completions API on loopback.
import { DataError } from '../../lib/data/errors.js';
import { ModelFileError, NgramLM } from '../../lib/ml/lm/ngram.js';
import { startLmServer } from '../../lib/ml/lm/server.js';
import { demonstrationTexts } from '../../lib/ml/lm/train-texts.js';
import { intOption, parse, UsageError } from '../args.js';
import { EXIT, type CliCommand, type CliIO } from '../command.js';

const OPTIONS = {
  model: { type: 'string' },
  train: { type: 'string' },
  order: { type: 'string' },
  'max-vocab': { type: 'string' },
  lambda: { type: 'string' },
  mu: { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  name: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const HELP = `Usage: retort serve-lm (--model FILE | --train DIR) [options]

Serves a built-in n-gram language model over the OpenAI completions API
(POST /v1/completions with echo/logprobs for scoring, greedy generation with
stop strings; GET /v1/models), so the openai backend, lm-eval-harness or curl
can use it. Runs until Ctrl-C.

  --model FILE       a trained model file (the ngram-lm plugin's model port holds model.ngram)
  --train DIR        train on the fly from a task folder or a directory of task folders
                     (their train splits, rendered as demonstrations)
  --order N          n-gram order when training (default 4)
  --max-vocab N      vocabulary cap when training (default: no cap)
  --lambda X         in-context cache weight (default: the model's, 0.3 when training)
  --mu X             bigram share inside the cache (default: the model's, 0.5 when training)
  --host HOST        interface to listen on (default 127.0.0.1)
  --port N           port (default 8000; 0 picks a free one)
  --name NAME        model name reported to clients (default retort-ngram)

Example:
  retort serve-lm --train ./tasks --port 8000 &
  OPENAI_BASE_URL=http://127.0.0.1:8000/v1 …`;

function numberOption(value: string | undefined, name: string, lo: number, hi: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < lo || n > hi) throw new UsageError(`--${name} expects a number in [${lo}, ${hi}], got '${value}'`);
  return n;
}

/** Runs the server until `stop` aborts; separated from `command` so tests can stop it. */
export async function serveLm(args: string[], io: CliIO, stop: AbortSignal): Promise<number> {
  const { values } = parse(args, OPTIONS, { min: 0, max: 0, names: 'no positional arguments' });
  if (values.help) {
    io.stdout.write(HELP + '\n');
    return EXIT.ok;
  }
  if ((values.model === undefined) === (values.train === undefined)) throw new UsageError('give exactly one of --model FILE or --train DIR');
  const lambda = numberOption(values.lambda, 'lambda', 0, 0.999);
  const mu = numberOption(values.mu, 'mu', 0, 1);
  const port = intOption(values.port, 'port', 0) ?? 8000;
  if (port > 65535) throw new UsageError(`--port expects a port number ≤ 65535, got '${values.port}'`);
  let lm: NgramLM;
  try {
    if (values.model !== undefined) {
      lm = await NgramLM.load(values.model, { lambda, mu });
    } else {
      const { texts, perTask } = await demonstrationTexts(values.train as string);
      if (texts.length === 0) throw new DataError(values.train as string, 0, 'no train split found in any task folder');
      lm = NgramLM.train(texts, { order: intOption(values.order, 'order') ?? 4, maxVocab: intOption(values['max-vocab'], 'max-vocab', 3), lambda, mu });
      io.stderr.write(`trained on ${texts.length} demonstrations from ${Object.keys(perTask).length} task(s)\n`);
    }
  } catch (e) {
    if (e instanceof ModelFileError || e instanceof DataError) {
      io.stderr.write(`retort serve-lm: ${e.message}\n`);
      return EXIT.usage;
    }
    if (e instanceof RangeError) throw new UsageError(e.message);
    throw e;
  }
  let server;
  try {
    server = await startLmServer({ model: lm, host: values.host ?? '127.0.0.1', port, name: values.name });
  } catch (e) {
    io.stderr.write(`retort serve-lm: cannot listen on ${values.host ?? '127.0.0.1'}:${port}: ${(e as Error).message}\n`);
    return EXIT.failed;
  }
  io.stdout.write(`serving ${values.name ?? 'retort-ngram'} [${lm.id}] at ${server.url} (Ctrl-C to stop)\n`);
  await new Promise<void>((resolve) => {
    if (stop.aborted) resolve();
    else stop.addEventListener('abort', () => resolve(), { once: true });
  });
  await server.close();
  return EXIT.ok;
}

export const command: CliCommand = {
  name: 'serve-lm',
  summary: 'serve a built-in n-gram LM over the OpenAI completions API',
  help: HELP,
  run: (args: string[], io: CliIO) => {
    const ctl = new AbortController();
    const onSignal = (): void => ctl.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    return serveLm(args, io, ctl.signal).finally(() => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    });
  },
};
