// Which Python starts clusters: the Python extension's selected interpreter (through a fake of its API),
// the ipyparallel.pythonPath setting, or the search; and what happens when the selection lacks ipyparallel.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ResolvedPython } from '../../src/extension/python';
import { decidePython, pipInstallCommand, selectedInterpreter, type EnvironmentPath, type PythonExtensionApi } from '../../src/extension/pythonEnv';

/** A fake of ms-python.python's exports: one active environment per resource, changeable. */
class FakePythonExtension implements PythonExtensionApi {
  readonly asked: unknown[] = [];
  readonly listeners: ((e: EnvironmentPath) => unknown)[] = [];
  constructor(
    public active: EnvironmentPath,
    public executable?: string,
  ) {}
  readonly environments = {
    getActiveEnvironmentPath: (resource?: unknown) => {
      this.asked.push(resource);
      return this.active;
    },
    resolveEnvironment: async (env: EnvironmentPath | string) => {
      assert.deepEqual(env, this.active);
      return { executable: { uri: this.executable ? { fsPath: this.executable } : undefined } };
    },
    onDidChangeActiveEnvironmentPath: (l: (e: EnvironmentPath) => unknown) => {
      this.listeners.push(l);
      return { dispose: () => this.listeners.splice(this.listeners.indexOf(l), 1) };
    },
  };
}

/** ipyparallel is importable only in these interpreters. */
const checkIn = (...withIpp: string[]) => {
  const checked: string[] = [];
  const check = async (command: string) => {
    checked.push(command);
    return withIpp.includes(command) ? { ok: true as const, version: '8.8.0' } : { ok: false as const, reason: "ModuleNotFoundError: No module named 'ipyparallel'" };
  };
  return { check, checked };
};

const searched = (command: string) => {
  const calls: string[] = [];
  const search = async (setting: string): Promise<ResolvedPython> => {
    calls.push(setting);
    return { command: setting || command, source: setting ? 'setting' : 'default', ipyparallelVersion: '7.1.0' };
  };
  return { search, calls };
};

describe('the user\'s Python: the Python extension\'s selection first', () => {
  it('uses the selected interpreter (its resolved executable) for the resource, when it has ipyparallel', async () => {
    const ext = new FakePythonExtension({ id: 'venv', path: '/proj/.venv' }, '/proj/.venv/bin/python');
    const { check, checked } = checkIn('/proj/.venv/bin/python');
    const { search, calls } = searched('/usr/bin/python3');
    const d = await decidePython({ setting: '', api: ext, resource: 'file:///proj', check, search });
    assert.deepEqual(d, { kind: 'found', python: { command: '/proj/.venv/bin/python', source: 'python extension', ipyparallelVersion: '8.8.0' } });
    assert.deepEqual(ext.asked, ['file:///proj']);
    assert.deepEqual(checked, ['/proj/.venv/bin/python']);
    assert.deepEqual(calls, [], 'no search when the Python extension chose');
  });

  it('follows a change of selection (each decision asks again)', async () => {
    const ext = new FakePythonExtension({ id: 'a', path: '/envs/a/bin/python' });
    const { check } = checkIn('/envs/a/bin/python', '/envs/b/bin/python');
    assert.equal((await decidePython({ setting: '', api: ext, check })).kind, 'found');
    ext.active = { id: 'b', path: '/envs/b/bin/python' };
    const d = await decidePython({ setting: '', api: ext, check });
    assert.equal(d.kind === 'found' && d.python.command, '/envs/b/bin/python');
  });

  it('reports a selected interpreter without ipyparallel instead of silently using another', async () => {
    const ext = new FakePythonExtension({ id: 'sys', path: '/usr/local/bin/python3' });
    const { check } = checkIn('/usr/bin/python3');
    const { search, calls } = searched('/usr/bin/python3');
    const d = await decidePython({ setting: '', api: ext, check, search });
    assert.deepEqual(d, { kind: 'lacksIpyparallel', command: '/usr/local/bin/python3', reason: "ModuleNotFoundError: No module named 'ipyparallel'" });
    assert.deepEqual(calls, []);
  });

  it('ipyparallel.pythonPath, when set, wins over the selection', async () => {
    const ext = new FakePythonExtension({ id: 'venv', path: '/proj/.venv/bin/python' });
    const { check, checked } = checkIn();
    const { search, calls } = searched('/usr/bin/python3');
    const d = await decidePython({ setting: '/opt/py/bin/python', api: ext, check, search });
    assert.equal(d.kind === 'found' && d.python.source, 'setting');
    assert.deepEqual(calls, ['/opt/py/bin/python']);
    assert.deepEqual(checked, []);
    assert.deepEqual(ext.asked, []);
  });

  it('without the Python extension (or without its environments API, or no selection): today\'s search', async () => {
    const { check } = checkIn();
    for (const api of [undefined, {}, new FakePythonExtension({ id: '', path: '' })]) {
      const { search, calls } = searched('/usr/bin/python3');
      const d = await decidePython({ setting: '', api, check, search });
      assert.equal(d.kind === 'found' && d.python.command, '/usr/bin/python3');
      assert.deepEqual(calls, ['']);
    }
  });

  it('falls back to the environment path when resolving it fails', async () => {
    const ext = new FakePythonExtension({ id: 'x', path: '/x/bin/python' });
    ext.environments.resolveEnvironment = async () => {
      throw new Error('not resolvable');
    };
    assert.equal(await selectedInterpreter(ext), '/x/bin/python');
  });

  it('the install command runs pip of that interpreter, quoted when needed', () => {
    assert.equal(pipInstallCommand('/proj/.venv/bin/python'), '/proj/.venv/bin/python -m pip install ipyparallel');
    assert.equal(pipInstallCommand('/My Envs/py/bin/python'), '"/My Envs/py/bin/python" -m pip install ipyparallel');
  });
});
