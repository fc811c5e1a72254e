#!/usr/bin/env node
// Installs what the project needs and is missing, and nothing else (safe to run again and again):
//   - the npm packages: `npm ci` when node_modules is missing or older than package-lock.json;
//   - a Python with ipyparallel (see lib/python.mjs): when none is found and we are root, Debian's
//     python3-ipyparallel (apt-get update + install); otherwise a message saying exactly what to install;
//   - with --ssh: the OpenSSH client and server the SSH integration tests drive (openssh-client,
//     openssh-server), the same way;
//   - with a Python: Debian's python3-matplotlib, which the notebook GUI test plots with, the same way;
//   - with --hpc: Open MPI, mpi4py, Slurm and munge for the MPI and Slurm launcher tests, the same way.
// npm start and npm test call bootstrap() first. Run by hand: node scripts/bootstrap.mjs [--no-python] [--ssh] [--hpc]
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DEBIAN_PACKAGE, describeTried, findIpyparallelPython, INSTALL_HINT, ipyparallelVersion } from './lib/python.mjs';

export const REPO = resolve(fileURLToPath(import.meta.url), '..', '..');

const SSH_TOOLS = { '/usr/bin/ssh': 'openssh-client', '/usr/bin/ssh-keygen': 'openssh-client', '/usr/sbin/sshd': 'openssh-server' };
// mpi4py is checked by its Debian file: importing it needs the Python, which may be another one.
const HPC_TOOLS = {
  '/usr/bin/mpiexec': 'openmpi-bin',
  '/usr/lib/python3/dist-packages/mpi4py/__init__.py': 'python3-mpi4py',
  '/usr/sbin/slurmctld': 'slurm-wlm',
  '/usr/sbin/slurmd': 'slurm-wlm',
  '/usr/sbin/munged': 'munge',
};
// The notebook GUI test draws a plot on the engines (Debian's matplotlib, for /usr/bin/python3's engines).
const NOTEBOOK_TOOLS = { '/usr/lib/python3/dist-packages/matplotlib/__init__.py': 'python3-matplotlib' };

/** Thrown when something is missing that we may not install; the message says what to do. */
export class BootstrapError extends Error {}

function say(msg) {
  console.log(`[bootstrap] ${msg}`);
}

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

/** Runs a command with inherited output; throws when it fails. */
function runOrThrow(cmd, args, opts = {}) {
  say(`$ ${[cmd, ...args].join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: REPO, ...opts });
  if (r.error) throw new BootstrapError(`${cmd} could not run: ${r.error.message}`);
  if (r.status !== 0) throw new BootstrapError(`${[cmd, ...args].join(' ')} failed with exit status ${r.status ?? r.signal}`);
}

/** Why node_modules needs `npm ci`, or undefined when it is current. */
export function npmStaleReason(repo = REPO) {
  const lock = mtime(join(repo, 'package-lock.json'));
  // npm writes node_modules/.package-lock.json at the end of every install: its age is the install's age.
  const installed = mtime(join(repo, 'node_modules', '.package-lock.json'));
  if (!existsSync(join(repo, 'node_modules'))) return 'node_modules is missing';
  if (installed === undefined) return 'node_modules was not installed by npm';
  if (lock !== undefined && installed < lock) return 'node_modules is older than package-lock.json';
  return undefined;
}

function ensureNpmPackages() {
  const reason = npmStaleReason();
  if (!reason) {
    say('npm packages: up to date');
    return;
  }
  say(`npm packages: ${reason}; installing with npm ci`);
  runOrThrow('npm', ['ci', '--no-audit', '--no-fund']);
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

function aptInstall(packages) {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  runOrThrow('apt-get', ['update'], { env });
  runOrThrow('apt-get', ['install', '-y', '--no-install-recommends', ...packages], { env });
}

/** Returns the interpreter with ipyparallel, installing python3-ipyparallel when root. */
export function ensurePython() {
  let found = findIpyparallelPython();
  if (!found.python && isRoot() && existsSync('/usr/bin/apt-get')) {
    say(`no Python with ipyparallel; installing Debian's ${DEBIAN_PACKAGE}`);
    aptInstall([DEBIAN_PACKAGE]);
    found = findIpyparallelPython();
  }
  if (!found.python) {
    throw new BootstrapError(`No Python interpreter with ipyparallel was found. Tried:\n${describeTried(found.tried)}\n${INSTALL_HINT}`);
  }
  say(`python: ${found.python} (ipyparallel ${ipyparallelVersion(found.python) ?? '?'})`);
  return found.python;
}

/** Installs the Debian packages of `tools` ({ path: package }) when root; otherwise only says what is missing (those tests then skip). */
function ensureTools(what, tools) {
  const missing = [...new Set(Object.entries(tools).filter(([p]) => !existsSync(p)).map(([, pkg]) => pkg))];
  if (missing.length === 0) return;
  if (isRoot() && existsSync('/usr/bin/apt-get')) {
    say(`${what} tools: installing ${missing.join(' ')}`);
    aptInstall(missing);
  } else {
    say(`${what} tools missing; the ${what} tests will be skipped. To run them, as root: apt-get install ${missing.join(' ')}`);
  }
}

export const ensureSshTools = () => ensureTools('SSH', SSH_TOOLS);
export const ensureHpcTools = () => ensureTools('MPI/Slurm', HPC_TOOLS);
export const ensureNotebookTools = () => ensureTools('notebook test', NOTEBOOK_TOOLS);

/**
 * Brings the machine up to what the given work needs. Returns { python } (undefined with python: false).
 * Throws BootstrapError with a message that says what to install.
 */
export function bootstrap({ python = true, ssh = false, hpc = false } = {}) {
  ensureNpmPackages();
  if (ssh) ensureSshTools();
  if (hpc) ensureHpcTools();
  if (python) ensureNotebookTools();
  return { python: python ? ensurePython() : undefined };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    bootstrap({ python: !process.argv.includes('--no-python'), ssh: process.argv.includes('--ssh'), hpc: process.argv.includes('--hpc') });
  } catch (err) {
    console.error(`[bootstrap] ${err instanceof BootstrapError ? err.message : err.stack}`);
    process.exit(1);
  }
}
