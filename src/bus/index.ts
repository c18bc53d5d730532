/** The message bus: record format, locked append, reading, following, rotation, paths. */
export * from './record.js';
export * from './writer.js';
export * from './reader.js';
export * from './follow.js';
export * from './rotate.js';
export * from './paths.js';
export * from './resolve.js';
export * from './format.js';
