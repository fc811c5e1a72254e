/** The Python the Clusters view runs ipcluster with when a record does not name one. */
import type { Ctx } from '../ctx';
import { resolvePython } from '../python';

export async function findPython(ctx: Ctx): Promise<string> {
  const python = await resolvePython(ctx.config.settings.pythonPath);
  ctx.log.info(`using ${python.command} (${python.source}), ipyparallel ${python.ipyparallelVersion}`);
  return python.command;
}
