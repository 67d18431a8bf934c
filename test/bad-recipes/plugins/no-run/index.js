// A module plugin fixture that forgets run().
export default { id: 'no-run', version: '1.0.0', params: { type: 'object' }, outputs: { out: {} } };
