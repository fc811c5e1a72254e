/** The core library: protocol, transport and cluster client. No vscode, no LSP. */
export * from './protocol';
export * from './transport';
export * from './client';
export * from './event';
export * from './log';
