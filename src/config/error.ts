// A configuration Portvakt cannot run with: the CLI prints the message (which says what to change)
// and exits with status 2, without a stack trace.
export class ConfigError extends Error {
  readonly code = 'config.invalid';
}
