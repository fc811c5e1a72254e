// Labels every top-level describe()/test()/it() of a test file with the ipyparallel version the harness
// runs, e.g. "[ipp 9.2.0.dev0] ClusterClient execute", so that one `node --test` run can hold the same
// files twice (npm test runs the integration level once per version) and each result says which version
// it ran against. Imported by the harness's index (and by the 9.x wrappers scripts/test.mjs writes) before
// the test file calls describe(): it rewrites the names on node:test's exports object, which the compiled
// tests read at call time (`(0, node_test_1.describe)(...)`).
// The real exports object is needed (an `import * as` would be a copy): hence the require-style import.
// eslint-disable-next-line @typescript-eslint/no-require-imports
import nodeTest = require('node:test');
import { ippEnv, importedIpyparallel, versionUnderTest } from './ippVersion';
import { findIpyparallelPython } from './python';

const PATCHED = Symbol.for('ipp-harness.versionLabel');

/** "[ipp 7.1.0]": the version the Python under test imports, or "[ipp ?]" when there is none. */
export function versionLabel(env: NodeJS.ProcessEnv = process.env): string {
  try {
    const version = versionUnderTest(env);
    const python = findIpyparallelPython();
    return `[ipp ${importedIpyparallel(python, { ...env, ...ippEnv(version, env) }).version}]`;
  } catch {
    return `[ipp ${env.IPP_VERSION_UNDER_TEST || '?'}]`;
  }
}

type AnyFn = (...args: unknown[]) => unknown;

/** Prefixes the names of top-level describe/test/it calls with `label` (nested ones keep their names). */
export function labelTopLevelTests(label: string): void {
  const exportsObj = nodeTest as unknown as Record<string | symbol, unknown>;
  if (exportsObj[PATCHED]) return;
  exportsObj[PATCHED] = label;
  let depth = 0;
  for (const key of ['describe', 'test', 'it'] as const) {
    const original = exportsObj[key] as AnyFn;
    const wrapped = function (this: unknown, ...args: unknown[]): unknown {
      if (depth === 0) {
        if (typeof args[0] === 'string') args[0] = `${label} ${args[0]}`;
        else args.unshift(label);
      }
      const fnAt = args.findIndex((a) => typeof a === 'function');
      if (fnAt >= 0) {
        const body = args[fnAt] as AnyFn;
        const counted = function (this: unknown, ...inner: unknown[]): unknown {
          depth++;
          try {
            return body.apply(this, inner);
          } finally {
            depth--;
          }
        };
        // node:test passes a `done` callback when the function declares two parameters: keep the arity.
        Object.defineProperty(counted, 'length', { value: body.length });
        args[fnAt] = counted;
      }
      return original.apply(this, args);
    };
    Object.assign(wrapped, original); // .skip, .todo, .only
    exportsObj[key] = wrapped;
  }
}
