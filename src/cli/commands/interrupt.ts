/**
 * Ctrl-C for the commands that supervise agents (`job`, `task`, `resume`): the first SIGINT
 * or SIGTERM aborts `signal` so the run or loop stops cleanly and is recorded `stopped`; a
 * second one leaves at once with 130.
 */
export function abortOnInterrupt(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (): void => {
    signals += 1;
    if (signals > 1) process.exit(130);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
