// Entry point of `bin/pbx` and `npm start`: node --import tsx src/main.ts <command> ...
import { runCli } from './cli/run.ts';

const code = await runCli(process.argv.slice(2));
// `start` keeps running (listeners hold the event loop); other commands end here.
if (code !== 0) process.exit(code);
