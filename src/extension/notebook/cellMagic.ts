/**
 * The `%%px` first line of a notebook cell (pure: no `vscode` here). The subset of ipyparallel's
 * `%%px` options a cell may use:
 *
 *     %%px --targets 0,2        engines 0 and 2 (also `-t`; `--targets=0,2`)
 *     %%px --targets 1:3        a slice of engine ids: 1 and 2 (both bounds needed)
 *     %%px --targets all        every engine
 *     %%px --block              wait for the cell's tasks (the default)
 *     %%px --noblock            submit and end the cell at once; outputs go to the IPython Parallel channel
 *
 * `%%px` alone runs on the cell's default targets. Any other first-line magic (`%%time`, `%%writefile`)
 * is not ours: the cell goes to the engines unchanged. An unknown `%%px` option is an error that names
 * the subset, rather than being ignored.
 */
import type { Targets } from '../../shared/protocol';
import { l10n } from '../l10n';

export interface CellMagic {
  /** Targets the magic chose; undefined: the cell's default. */
  targets?: Targets;
  /** false for `--noblock`. */
  block: boolean;
  /** The code to send: the cell without its `%%px` line. */
  code: string;
  /** Cell lines before `code` (1 when the `%%px` line was removed), for mapping tracebacks to cell lines. */
  lineOffset: number;
}

export class CellMagicError extends Error {}

export const CELL_MAGIC_HELP = '%%px [--targets 0,2 | --targets 1:3 | --targets all] [--block | --noblock]';

/** Parses `0,2`, `1:3`, `all` (or a mix of ids and slices: `0,2:4`). */
export function parseTargets(text: string): Targets {
  const t = text.trim();
  if (t === 'all') return 'all';
  const ids = new Set<number>();
  for (const part of t.split(',')) {
    const slice = /^(\d{1,6}):(\d{1,6})$/.exec(part.trim());
    if (slice) {
      const [from, to] = [Number(slice[1]), Number(slice[2])];
      if (to <= from) throw new CellMagicError(l10n.t('--targets {0}: the slice {1} is empty (the end is excluded, as in Python).', t, part.trim()));
      for (let i = from; i < to; i++) ids.add(i);
    } else if (/^\d{1,6}$/.test(part.trim())) {
      ids.add(Number(part.trim()));
    } else {
      throw new CellMagicError(l10n.t('--targets {0}: "{1}" is not an engine id, a slice like 1:3, or "all".', t, part.trim()));
    }
  }
  return [...ids].sort((a, b) => a - b);
}

/** Splits `--targets=0,2` into `--targets`, `0,2`. */
function tokens(args: string): string[] {
  return args.split(/\s+/).filter(Boolean).flatMap((w) => {
    const eq = /^(--?[a-z-]+)=(.*)$/.exec(w);
    return eq ? [eq[1], eq[2]] : [w];
  });
}

/** The cell's magic, or the cell unchanged (targets undefined, block true) when its first line is not `%%px`. */
export function parseCellMagic(source: string): CellMagic {
  const nl = source.indexOf('\n');
  const first = (nl < 0 ? source : source.slice(0, nl)).trimEnd();
  const m = /^%%px(?:\s+(.*))?$/.exec(first);
  if (!m) return { block: true, code: source, lineOffset: 0 };
  const result: CellMagic = { block: true, code: nl < 0 ? '' : source.slice(nl + 1), lineOffset: 1 };
  const words = tokens(m[1] ?? '');
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (w === '--targets' || w === '-t') {
      const value = words[++i];
      if (value === undefined) throw new CellMagicError(l10n.t('{0} needs a value, e.g. {0} 0,2 or {0} all.', w));
      result.targets = parseTargets(value);
    } else if (w === '--block') result.block = true;
    else if (w === '--noblock') result.block = false;
    else throw new CellMagicError(l10n.t('%%px option "{0}" is not supported here. Supported: {1}', w, CELL_MAGIC_HELP));
  }
  return result;
}

/** Targets for a cell: its magic's, else the cell's picked ones (metadata), else the default. */
export function cellTargets(magic: CellMagic, picked: Targets | undefined, fallback: Targets): Targets {
  return magic.targets ?? picked ?? fallback;
}

/** Reads targets stored in cell metadata (`all`, `balanced` or engine ids), ignoring anything else. */
export function targetsFromMetadata(value: unknown): Targets | undefined {
  if (value === 'all' || value === 'balanced') return value;
  if (Array.isArray(value) && value.length > 0 && value.every((v) => Number.isInteger(v) && v >= 0)) return [...value] as number[];
  return undefined;
}
