/** Store URLs made safe to print: a password in the user part or in a `password` parameter is replaced by `***`. */

/** Hides the passwords in a URL. */
export function redact(url: string): string {
  return url
    .replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@')
    .replace(/([?&]password=)[^&#]*/gi, '$1***');
}
