export * from './token-set.js';
