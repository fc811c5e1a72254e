export * from './errors';
export * from './signer';
export * from './replayGuard';
export * from './message';
export * from './connectionFile';
export * from './discovery';
export * from './clusterRecords';
