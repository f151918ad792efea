/** CLI output conventions: human lines on stderr, and with --json one JSON object as the last stdout line. */
export function printJson(value: object): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

export function info(message: string): void {
  process.stderr.write(`${message}\n`);
}
