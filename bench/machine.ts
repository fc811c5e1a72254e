/** Facts about the machine and the software under test, for the report header. */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem, availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './clients/lspClient';

export interface MachineFacts {
  nproc: number;
  cpu: string;
  memGiB: number;
  loadAvg: string;
  node: string;
  zeromqJs: string;
  python: string;
  pythonVersion: string;
  ipyparallel: string;
  pyzmq: string;
  libzmqPython: string;
  extensionVersion: string;
}

function pythonFacts(python: string): { version: string; ipyparallel: string; pyzmq: string; libzmq: string } {
  try {
    const out = execFileSync(python, ['-c', 'import sys, ipyparallel, zmq; print(sys.version.split()[0], ipyparallel.__version__, zmq.__version__, zmq.zmq_version())'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    const [version, ipyparallel, pyzmq, libzmq] = out.trim().split(/\s+/);
    return { version, ipyparallel, pyzmq, libzmq };
  } catch {
    return { version: '?', ipyparallel: '?', pyzmq: '?', libzmq: '?' };
  }
}

export function machineFacts(python: string): MachineFacts {
  const py = pythonFacts(python);
  const pkg = (name: string): string => {
    try {
      return (JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      return '?';
    }
  };
  return {
    nproc: availableParallelism(),
    cpu: cpus()[0]?.model ?? '?',
    memGiB: totalmem() / 1024 ** 3,
    loadAvg: loadavg().map((l) => l.toFixed(2)).join(' '),
    node: process.version,
    zeromqJs: pkg('zeromq'),
    python,
    pythonVersion: py.version,
    ipyparallel: py.ipyparallel,
    pyzmq: py.pyzmq,
    libzmqPython: py.libzmq,
    extensionVersion: (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version,
  };
}
