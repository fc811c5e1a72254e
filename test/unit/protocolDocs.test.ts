import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as contract from '../../src/shared/protocol';
import { repoRoot } from './support/fixtures';

/** The ipp/* methods the contract declares (every RequestType and NotificationType it exports). */
function contractMethods(kind: 'request' | 'notification'): string[] {
  return Object.entries(contract)
    .filter(([name]) => name.endsWith(kind === 'request' ? 'Request' : 'Notification'))
    .map(([, v]) => (v as { method?: unknown }).method)
    .filter((m): m is string => typeof m === 'string' && m.startsWith('ipp/'))
    .sort();
}

const doc = readFileSync(join(repoRoot, 'docs', 'server-protocol.md'), 'utf8');

/** The methods docs/server-protocol.md documents: `### \`ipp/x\`` headings, and the notification table. */
function documentedRequests(): string[] {
  return [...doc.matchAll(/^### `(ipp\/[A-Za-z]+)`/gm)].map((m) => m[1]).sort();
}
function documentedNotifications(): string[] {
  return [...doc.matchAll(/^\| `(ipp\/[A-Za-z]+)` \|/gm)].map((m) => m[1]).sort();
}

describe('docs/server-protocol.md and src/shared/protocol.ts name the same methods', () => {
  it('requests', () => {
    assert.ok(contractMethods('request').length >= 16);
    assert.deepEqual(documentedRequests(), contractMethods('request'));
  });

  it('notifications', () => {
    assert.ok(contractMethods('notification').length >= 4);
    assert.deepEqual(documentedNotifications(), contractMethods('notification'));
  });
});
