export * from './precision.js';
export * from './reference.js';
