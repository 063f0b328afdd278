// For tests that wait for something to happen elsewhere (another node, a restarted server).

/** Whether `check` comes true within `ms`, asking every 50 ms. */
export async function within(ms: number, check: () => Promise<boolean>): Promise<boolean> {
  const deadline = performance.now() + ms;
  do {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  } while (performance.now() < deadline);
  return check();
}
