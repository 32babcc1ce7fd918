/**
 * Waiting in specs for something that happens on its own time (a status, a record, a commit), instead of sleeping
 * for a fixed time.
 */

/**
 * Resolves once `cond` holds; `cond` may be async (it is asked again only after its answer). Fails after `timeoutMs`,
 * saying `what` it waited for (by default the condition's own source text).
 */
export async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 5000, what = String(cond)): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
