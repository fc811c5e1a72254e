export * from './zmq';
export * from './dropCounter';
export * from './channelSocket';
export * from './transport';
export * from './curve';
export * from './sshArgs';
export * from './sshTunnel';
export * from './clientTunnel';
