/**
 * The display form of a source: the same URL with the credentials of its user-info part
 * replaced by `***`. A camera URL such as `rtsp://admin:SECRET@10.0.0.5/stream` is shown as
 * `rtsp://***:***@10.0.0.5/stream` in every message, event, result, file, log line and server
 * response; the raw URL goes only into ffmpeg's argument vector.
 */

/** `scheme://user[:password]@` at the start of a URL or anywhere inside a text. */
const USER_INFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^/@\s'"]*)@/gi;

/** What the credentials are replaced by. */
export const REDACTED = '***';

/**
 * The display form of one source: user name and password masked, everything else kept.
 * Sources without credentials (and plain paths) are returned unchanged.
 *
 * @example
 * redactSource('rtsp://admin:SECRET@cam.local:554/live') // 'rtsp://***:***@cam.local:554/live'
 */
export function redactSource(source: string): string {
  return redactText(source);
}

/**
 * Masks every URL credential found in a free text (an ffmpeg log line, an error message),
 * and every literal occurrence of the given secret strings — ffmpeg sometimes prints a URL
 * decoded or cut, so the secrets themselves are removed too.
 */
export function redactText(text: string, secrets: readonly string[] = []): string {
  let out = text.replace(USER_INFO, (_match, scheme: string, userInfo: string) =>
    `${scheme}${userInfo.includes(':') ? `${REDACTED}:${REDACTED}` : REDACTED}@`,
  );
  for (const secret of secrets) if (secret.length >= 3) out = out.split(secret).join(REDACTED);
  return out;
}

/**
 * The password of a source's URL (raw and percent-decoded), for {@link redactText}: the
 * user name is masked wherever it appears as a URL's user info, but not as a bare word (it
 * is often a common one, such as `admin`). Empty for sources without a password.
 */
export function sourceSecrets(source: string): string[] {
  let url: URL;
  try {
    url = new URL(source);
  } catch {
    return [];
  }
  const parts = url.password === '' ? [] : [url.password];
  const decoded = parts.map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  return [...new Set([...parts, ...decoded])];
}
