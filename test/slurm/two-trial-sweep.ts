// A sweep of two trials over the count plugin: data is shared by both trials, train is each trial's own.
export const TWO_TRIAL_SWEEP = `stages:
  data: { plugin: ./plugins/count }
  train: { plugin: ./plugins/count, inputs: { in: "\${stages.data.outputs.out}" } }
sweep:
  grid:
    stages.train.params.value: [10, 20]
`;
