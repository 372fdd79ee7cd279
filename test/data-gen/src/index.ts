export * from './random.ts';
export * from './people.ts';
export * from './corrupt.ts';
export * from './sources.ts';
export * from './generate.ts';
export * from './score.ts';
export * from './files.ts';
