/** The FlowStudio protocol: one definition of every message, validated at every boundary. */
export * from './common';
export * from './commands';
export * from './events';
export * from './frames';
export * from './validate';
export * from './bridge';
export * from './names';
