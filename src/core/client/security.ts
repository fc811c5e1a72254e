import { connectableAddress, isLoopback, type ConnectionInfo } from '../protocol/connectionFile';
import type { SecurityPosture } from './types';

/** How a connection is protected, with warnings for what is not (PROTOCOL.md §1.3). */
export function securityPosture(info: ConnectionInfo): SecurityPosture {
  const loopback = isLoopback(info);
  const transport: SecurityPosture['transport'] = info.curveServerKey ? 'curve' : info.ssh ? 'ssh' : 'plain';
  const warnings = [...info.warnings];
  if (transport === 'plain' && !loopback) {
    warnings.push(
      `the controller at ${connectableAddress(info)} is reached over plain TCP on a non-loopback interface without CURVE: ` +
        'code and outputs cross the network unencrypted (the HMAC key only authenticates them). Use an SSH tunnel or enable CURVE.',
    );
  }
  return { signed: info.key !== '', signatureScheme: info.signatureScheme, transport, loopback, warnings };
}
