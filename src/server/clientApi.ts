/**
 * The part of core's ClusterClient (notes/client-api.md) that the server uses, picked from the class so the
 * signatures are written once. The server depends on this shape, not on the class, so its logic can be driven
 * by a fake in unit tests and main.ts is the one place that constructs the real client.
 */
import type { ClusterClient } from '../core/client/clusterClient';
import type { ConfirmRedirect } from '../core/client/redirect';
import type { Logger } from '../core/log';

export type ClusterClientLike = Pick<
  ClusterClient,
  | 'dispose'
  | 'state'
  | 'connectionInfo'
  | 'onDidChangeState'
  | 'onDidChangeEngines'
  | 'onDidChangeTask'
  | 'onDidOutput'
  | 'onDidPublishData'
  | 'onDidDrop'
  | 'onDidChangeVersion'
  | 'connect'
  | 'disconnect'
  | 'engines'
  | 'task'
  | 'tasks'
  | 'run'
  | 'execute'
  | 'wait'
  | 'evaluate'
  | 'complete'
  | 'abort'
  | 'interrupt'
  | 'resubmit'
  | 'reattach'
  | 'purge'
  | 'historyTasks'
  | 'queueStatus'
  | 'shutdown'
  | 'dropped'
  | 'security'
  | 'status'
>;

export interface ClientFactoryOptions {
  connectionFile: string;
  logger: Logger;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  /** Output each task keeps (ServerSettings.maxOutputBytesPerTask). */
  maxOutputBytesPerTask?: number;
  sshServer?: string;
  ssh?: { sshPath?: string; extraArgs?: string[] };
  /** Asked before following a rewritten connection file to another host or SSH server. */
  confirmRedirect?: ConfirmRedirect;
}

export type ClientFactory = (options: ClientFactoryOptions) => ClusterClientLike;
