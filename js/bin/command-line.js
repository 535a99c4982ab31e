// What every command-line tool of this package does with its arguments: --help (-h) prints
// the tool's help on stdout and exits 0; an unknown flag, a missing value or a stray
// argument prints one line on stderr and exits 2, never a stack trace.

/**
 * Run `parse` (a `parseArgs` call whose options include `help`) the way the tools share.
 * @template {{values: {help?: boolean | undefined}}} R
 * @param {string} name the tool's name, first on the error line
 * @param {string} help the text --help prints
 * @param {() => R} parse
 * @returns {R}
 */
export function parseCommandLine(name, help, parse) {
  let parsed;
  try {
    parsed = parse();
  } catch (error) {
    const first = String(/** @type {Error} */ (error).message).split(/\.\s|\n/)[0];
    process.stderr.write(`${name}: ${first} (see --help)\n`);
    process.exit(2);
  }
  if (parsed.values.help) {
    process.stdout.write(help);
    process.exit(0);
  }
  return parsed;
}

/** The option every tool adds to its parseArgs options. */
export const HELP_OPTION = /** @type {const} */ ({ type: 'boolean', short: 'h' });
