// The small recipe several end-to-end tests run: a → b → c, with `vars.b` setting b's param, on the
// `count` test plugin (it records each execution through the harness's side channel).
export const CHAIN = `
name: chain
vars:
  b: 10
stages:
  a:
    plugin: ./plugins/count
    params: { value: 1 }
  b:
    plugin: ./plugins/count
    inputs: { in: "\${stages.a.outputs.out}" }
    params: { value: "\${vars.b}" }
  c:
    plugin: ./plugins/count
    inputs: { in: "\${stages.b.outputs.out}" }
    params: { value: 100 }
`;

/** The chain plus `d`, a stage that depends on nothing. */
export const CHAIN_WITH_ISLAND = `${CHAIN}  d:
    plugin: ./plugins/count
    params: { value: 1000 }
`;
