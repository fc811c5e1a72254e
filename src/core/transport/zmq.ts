/**
 * Lazy access to the zeromq native addon. Nothing loads it until a socket is needed, so the library
 * (and the extension) can start, show clusters and report a clear error when the addon is missing.
 */
import type * as Zmq from 'zeromq';
import { ZmqLoadError } from './errors';

export type ZmqModule = typeof Zmq;

let cached: ZmqModule | undefined;
let failure: ZmqLoadError | undefined;

/** Loads zeromq once; throws ZmqLoadError (saying what to do) when the native addon cannot load. */
export function loadZmq(): ZmqModule {
  if (cached) return cached;
  if (failure) throw failure;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    cached = require('zeromq') as ZmqModule;
    return cached;
  } catch (e) {
    failure = new ZmqLoadError(e instanceof Error ? e.message.split('\n')[0] : String(e));
    throw failure;
  }
}
