// Runs the CLI from source in a child process (for kill tests and real exit codes).
import { main } from '../../src/cli/main.js';

main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
