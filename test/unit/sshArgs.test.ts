import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConnectionInfo, type ConnectionInfo } from '../../src/core/protocol';
import { curveServerKeyFor, HandshakeTracker } from '../../src/core/transport/curve';
import {
  buildSshArgs,
  formatSshServer,
  parseSshServer,
  sshExitError,
  sshServerFor,
  SshTunnelError,
  summarizeSshStderr,
} from '../../src/core/transport/sshArgs';

function info(fields: Record<string, unknown> = {}): ConnectionInfo {
  const base = {
    interface: 'tcp://127.0.0.1',
    registration: 5001, control: 5002, mux: 5003, task: 5004, iopub: 5005, notification: 5006, broadcast: 5007,
    key: 'k', ssh: '', location: 'far-away-login-node.invalid',
  };
  return parseConnectionInfo(JSON.stringify({ ...base, ...fields }));
}

describe('parseSshServer', () => {
  it('reads [user@]host[:port]', () => {
    assert.deepEqual(parseSshServer('login.example.org'), { host: 'login.example.org', port: undefined });
    assert.deepEqual(parseSshServer(' alice@login.example.org '), { user: 'alice', host: 'login.example.org', port: undefined });
    assert.deepEqual(parseSshServer('alice@10.0.0.5:2222'), { user: 'alice', host: '10.0.0.5', port: 2222 });
    assert.deepEqual(parseSshServer('root@[::1]:22'), { user: 'root', host: '::1', port: 22 });
    assert.deepEqual(parseSshServer('[fe80::1]'), { host: 'fe80::1', port: undefined });
    assert.deepEqual(parseSshServer('fe80::1'), { host: 'fe80::1', port: undefined });
    // A user name with an @ (some sites use e-mail addresses): the last @ separates the host.
    assert.deepEqual(parseSshServer('a.b@site.org@login:22'), { user: 'a.b@site.org', host: 'login', port: 22 });
  });

  it('rejects what ssh would misread, with a message naming the spec', () => {
    for (const bad of ['', '   ', 'host:0', 'host:65536', 'host:ab', 'host:', '@host', 'user@', '-oProxyCommand=touch', 'a b', '-x@host']) {
      assert.throws(
        () => parseSshServer(bad),
        (e: unknown) => e instanceof SshTunnelError && e.code === 'ERR_SSH_TUNNEL' && e.message.includes(JSON.stringify(bad)) && /\[user@\]host\[:port\]/.test(e.message),
        bad,
      );
    }
  });

  it('refuses a host or user with characters outside host and user-name characters, naming which', () => {
    const hosts = ['ho%st', 'host/x', "h'x", 'h;x', 'h$x', 'h`x`', '[::1%eth0]', '[h/x]', 'h*', 'h\u0000x', 'a,b', 'g::x'];
    for (const bad of hosts) {
      assert.throws(() => parseSshServer(`u@${bad}`), (e: unknown) => e instanceof SshTunnelError && /the host may contain only letters, digits/.test(e.message), bad);
    }
    for (const bad of ['u%r', 'u/x', "u'x", 'u;x', 'u$x', 'u(x)', 'u:x', 'u!x']) {
      assert.throws(() => parseSshServer(`${bad}@host`), (e: unknown) => e instanceof SshTunnelError && /the user may contain only letters, digits/.test(e.message), bad);
    }
    for (const ok of ['a-b_c.d@h-1.example_org:22', 'x@192.168.0.1', '[2001:db8::ffff:10.0.0.1]:22', 'u@::ffff:10.0.0.1']) {
      assert.doesNotThrow(() => parseSshServer(ok), ok);
    }
  });

  it('formats back to the same spec', () => {
    for (const spec of ['h', 'u@h', 'u@h:2', 'u@[::1]:22', '::1']) assert.equal(formatSshServer(parseSshServer(spec)), spec);
  });
});

describe('buildSshArgs', () => {
  const fwd = [
    { localPort: 40001, remoteHost: '127.0.0.1', remotePort: 5001 },
    { localPort: 40002, remoteHost: '::1', remotePort: 5002 },
  ];

  it('forwards every port in one ssh process, never prompting, bound to 127.0.0.1', () => {
    const args = buildSshArgs({ user: 'alice', host: 'login', port: 2222 }, fwd);
    assert.deepEqual(args.slice(0, 7), ['-N', '-o', 'ExitOnForwardFailure=yes', '-o', 'BatchMode=yes', '-o', 'ControlPath=none']);
    assert.equal(args.at(-1), 'alice@login');
    const p = args.indexOf('-p');
    assert.equal(args[p + 1], '2222');
    const forwards = args.flatMap((a, i) => (args[i - 1] === '-L' ? [a] : []));
    assert.deepEqual(forwards, ['127.0.0.1:40001:127.0.0.1:5001', '127.0.0.1:40002:[::1]:5002']);
    assert.ok(args.includes('ServerAliveInterval=15'));
    assert.ok(args.includes('ConnectTimeout=15'));
    assert.ok(!args.some((a) => /password/i.test(a)));
  });

  it('puts extra args after the fixed options and lets them override the defaults', () => {
    const extra = ['-i', '/k', '-o', 'connecttimeout=3', '-o', 'UserKnownHostsFile=/kh'];
    const args = buildSshArgs({ host: 'h' }, fwd, extra);
    assert.deepEqual(args.slice(7, 7 + extra.length), extra);
    assert.ok(!args.includes('ConnectTimeout=15'), 'the user\'s ConnectTimeout wins');
    assert.ok(args.includes('ServerAliveInterval=15'));
    assert.ok(!args.includes('-p'));
    assert.equal(args.at(-1), 'h');
  });

  it('refuses a tunnel without ports', () => {
    assert.throws(() => buildSshArgs({ host: 'h' }, []), SshTunnelError);
  });
});

describe('sshServerFor (PROTOCOL.md §1.3 point 4)', () => {
  it('prefers the user setting, then the file, and skips the file for a controller on this machine', () => {
    assert.equal(sshServerFor(info({ ssh: '' })), undefined);
    assert.equal(sshServerFor(info({ ssh: '' }), 'me@gw'), 'me@gw');
    assert.equal(sshServerFor(info({ ssh: 'u@gw:22' }), '  '), 'u@gw:22');
    assert.equal(sshServerFor(info({ ssh: 'u@gw:22' })), 'u@gw:22', 'loopback on another host: tunnel');
    assert.equal(sshServerFor(info({ ssh: 'u@gw:22', location: '' })), undefined, 'loopback here: direct');
    assert.equal(sshServerFor(info({ ssh: 'u@gw:22', location: 'localhost' })), undefined);
    assert.equal(sshServerFor(info({ ssh: 'u@gw:22', location: '', interface: 'tcp://10.1.2.3' })), 'u@gw:22');
    assert.equal(sshServerFor(info({ ssh: 'u@gw', location: 'localhost' }), 'me@other'), 'me@other');
  });

  it('refuses a hostile spec from the file or the setting, saying which one', () => {
    assert.throws(
      () => sshServerFor(info({ ssh: 'u@gw;touch${IFS}/tmp/x' })),
      (e: unknown) => e instanceof SshTunnelError && /the "ssh" field of/.test(e.message) && /the host may contain only/.test(e.message),
    );
    assert.throws(
      () => sshServerFor(info({ ssh: '' }), "me'x@gw"),
      (e: unknown) => e instanceof SshTunnelError && /ssh server setting \(sshServer\)/.test(e.message) && /the user may contain only/.test(e.message),
    );
  });
});

describe('ssh error messages', () => {
  it('names the server, quotes ssh and adds a hint, without the known-hosts chatter', () => {
    const stderr = "Warning: Permanently added '[127.0.0.1]:2222' (ED25519) to the list of known hosts.\r\nroot@127.0.0.1: Permission denied (publickey).\r\n";
    assert.equal(summarizeSshStderr(stderr), 'root@127.0.0.1: Permission denied (publickey).');
    const err = sshExitError('root@127.0.0.1:2222', stderr, 255, null);
    assert.equal(err.code, 'ERR_SSH_TUNNEL');
    assert.equal(err.exitCode, 255);
    assert.match(err.message, /^SSH tunnel to root@127\.0\.0\.1:2222 failed: root@127\.0\.0\.1: Permission denied \(publickey\)\./);
    assert.match(err.message, /never asks for a password/);
    assert.match(err.message, /`ssh root@127\.0\.0\.1:2222`/);
    assert.match(sshExitError('h', 'Host key verification failed.\n', 255, null).message, /host key/);
    assert.match(sshExitError('h', 'ssh: Could not resolve hostname h: Name or service not known\n', 255, null).message, /Check the host name/);
    assert.match(sshExitError('h', '', null, 'SIGKILL').message, /killed by SIGKILL without a message/);
  });
});

describe('CURVE helpers', () => {
  const key = 'rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7';

  it('takes the server key from the file, else from IPP_CURVE_SERVERKEY', () => {
    assert.equal(curveServerKeyFor({ curveServerKey: key }, {}), key);
    assert.equal(curveServerKeyFor({ curveServerKey: null }, { IPP_CURVE_SERVERKEY: key }), key);
    assert.equal(curveServerKeyFor({ curveServerKey: null }, { IPP_CURVE_SERVERKEY: 'short' }), null);
    assert.equal(curveServerKeyFor({ curveServerKey: null }, {}), null);
  });

  it('an empty key is not a warning when CURVE is on, and is one without it', () => {
    assert.deepEqual(info({ key: '', curve_serverkey: key }).warnings, []);
    assert.equal(info({ key: '' }).warnings.length, 1);
  });

  it('explains a silent connect from the socket events', () => {
    const url = 'tcp://127.0.0.1:5001';
    const t = new HandshakeTracker();
    assert.match(t.explain('registration', url, { curve: true }), /^Nothing accepted a connection at tcp:\/\/127\.0\.0\.1:5001 \(CURVE is on\)/);
    t.note('registration', 'connect');
    t.note('registration', 'handshake:error:other');
    t.note('registration', 'disconnect');
    assert.match(t.explain('registration', url, { curve: true }), /CURVE handshake never completed: the connection file's curve_serverkey does not match/);
    assert.match(t.explain('registration', url, { curve: true, tunnel: 'u@gw' }), /far end of the SSH tunnel through u@gw/);
    assert.match(t.explain('registration', url, { curve: false }), /may require CURVE/);
    t.note('registration', 'handshake');
    assert.equal(t.handshakes('registration'), 1);
    assert.equal(t.explain('registration', url, { curve: false }), '');
    assert.match(t.explain('registration', url, { curve: true }), /server key is right/);
  });
});
