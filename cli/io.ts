// The CLI's output and exit, injectable so commands are testable in-process.
export interface Io {
  out(text: string): void;
  err(text: string): void;
  exit(code: number): void;
}

export const processIo: Io = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  exit: (code) => {
    process.exitCode = code;
  },
};
