import { connectableAddress, isLoopback, type ConnectionInfo } from '../protocol/connectionFile';
import { curveServerKeyFor } from '../transport/curve';
import { message } from '../messages';
import type { SecurityPosture } from './types';

/**
 * How a connection is protected, with warnings for what is not (PROTOCOL.md §1.3). `tunnel` is the SSH
 * server the connection actually goes through (the file's `ssh` field alone proves nothing: a local
 * controller is reached directly); CURVE, being end to end, wins over a tunnel.
 */
export function securityPosture(info: ConnectionInfo, link: { tunnel?: string } = {}): SecurityPosture {
  const loopback = isLoopback(info);
  const transport: SecurityPosture['transport'] = curveServerKeyFor(info) ? 'curve' : link.tunnel ? 'ssh' : 'plain';
  const warnings = [...info.warnings];
  if (transport === 'plain' && !loopback) {
    warnings.push(message('plainTcp', connectableAddress(info)));
  }
  const posture: SecurityPosture = { signed: info.key !== '', signatureScheme: info.signatureScheme, transport, loopback, warnings };
  if (link.tunnel) posture.tunnel = link.tunnel;
  return posture;
}
