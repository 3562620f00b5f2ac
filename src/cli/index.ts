// The command line: `buildProgram()` and `runCli(argv)` (prints user errors as one line, exit 1).
export { buildProgram } from './program.ts';
export { runCli } from './run.ts';
