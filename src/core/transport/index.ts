export * from './zmq';
export * from './dropCounter';
export * from './channelSocket';
export * from './transport';
