// Nothing a plugin declares or writes escapes the store: port names are checked when the plugin loads,
// and an entry holds exactly the files of its manifest.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';
import { Project } from './harness.js';
import { at } from '../util/at.js';

describe('port names and stray files (end to end)', () => {
  it('a command plugin whose output port is named ../../x is rejected when it loads; nothing is created', async () => {
    const p = new Project();
    p.write('evil/plugin.yaml', 'id: evil\nversion: "1"\ncommand: "echo hi > $RETORT_OUT/x"\noutputs:\n  "../../escaped": {}\n');
    p.write('r.yaml', 'stages:\n  e:\n    plugin: ./evil\n');
    const res = await p.run(['run', 'r.yaml', '--no-track', '--plain']);
    expect(res.code, res.stdout + res.stderr).toBe(2);
    expect(res.stderr).toContain('output port name "../../escaped" is not valid: a port name starts with a letter or _');
    expect(res.stderr).toContain(join(p.dir, 'evil', 'plugin.yaml'));
    expect(res.stderr).not.toMatch(/\n\s+at .*\.js:\d+/);
    expect(existsSync(join(p.dir, 'escaped'))).toBe(false);
    expect(existsSync(join(p.dir, 'runs', 'escaped'))).toBe(false);
    expect(existsSync(join(p.dir, 'runs', 'store'))).toBe(false);
  });

  it('a shell node writing beside its port folder or beside out/ fails, naming the stray paths; a clean entry holds only its manifest', async () => {
    const p = new Project();
    p.write('r.yaml', `
stages:
  beside:
    plugin: shell
    params: { command: 'echo a > ok.txt; echo b > ../stray.txt' }
  above:
    plugin: shell
    params: { command: 'echo a > ok.txt; echo c > ../../above.txt' }
  clean:
    plugin: shell
    params: { command: 'echo a > ok.txt' }
`);
    const res = await p.run(['run', 'r.yaml', '--no-track', '--plain', '--keep-going']);
    expect(res.code, res.stdout + res.stderr).toBe(1);
    expect(res.stderr).toContain("failed: beside: the node wrote outside its output port (out): 'stray.txt' (relative to its output folder $RETORT_OUT); write only inside the port folders");
    expect(res.stderr).toContain("failed: above: the node wrote outside its output port (out): '../above.txt'");
    const store = await Store.open(join(p.dir, 'runs', 'store'));
    const keys = await store.keys();
    expect(keys).toHaveLength(1);
    const entry = store.entryDir(keys[0]!);
    expect(readdirSync(entry).sort()).toEqual(['log.txt', 'manifest.json', 'out']);
    expect(readdirSync(join(entry, 'out'))).toEqual(['out']);
    expect((await store.readManifest(keys[0]!))!.files.map((f) => f.path)).toEqual(['out/ok.txt']);
    expect(readdirSync(join(p.dir, 'runs', 'store', 'staging'))).toEqual([]);
  });

  it('a command plugin entry does not keep the runner files params.json and inputs.json', async () => {
    const p = new Project();
    p.write('words.txt', 'one two\n');
    p.write('r.yaml', 'stages:\n  wc:\n    plugin: ./plugins/wordcount\n    inputs: { text: words.txt }\n');
    const res = await p.run(['run', 'r.yaml', '--no-track', '--plain']);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    const store = await Store.open(join(p.dir, 'runs', 'store'));
    const key = at(await store.keys(), 0);
    expect(readdirSync(store.entryDir(key)).sort()).toEqual(['log.txt', 'manifest.json', 'out']);
  });
});
