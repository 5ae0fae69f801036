/**
 * `s` with control characters escaped as \xNN (line breaks and tabs kept): an error message echoes what the
 * user typed, and raw escape sequences would otherwise reach the terminal.
 */
export function printable(s: string): string {
  return s.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
