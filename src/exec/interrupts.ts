// Ctrl-C (or SIGTERM) cancels a run: the first asks running nodes to stop, the second exits at once.

export function cancelOnInterrupt(controller: AbortController, say: (line: string) => void, exitNow: () => void): () => void {
  let interrupts = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    interrupts++;
    if (interrupts > 1) { exitNow(); return; }
    say(`${sig === 'SIGINT' ? 'interrupted' : 'terminated'}: cancelling running nodes (again to force)`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}
