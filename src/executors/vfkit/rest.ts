import { request } from 'node:http';

/** The states vfkit's REST API accepts in POST /vm/state. */
export type VfkitStateChange = 'Stop' | 'HardStop' | 'Pause' | 'Resume';

/** Speaks HTTP over vfkit's unix socket (`--restful-uri unix:///...`). */
export async function vfkitRequest(
  socketPath: string,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  timeoutMs = 2_000,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        socketPath,
        method,
        path,
        headers:
          payload === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
        timeout: timeoutMs,
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          text += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
      },
    );
    req.on('timeout', () =>
      req.destroy(new Error(`no answer from vfkit on ${socketPath} within ${timeoutMs} ms`)),
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Asks vfkit to change the VM's state; true when vfkit accepted (202). */
export async function setVfkitState(socketPath: string, state: VfkitStateChange): Promise<boolean> {
  try {
    const response = await vfkitRequest(socketPath, 'POST', '/vm/state', { state });
    return response.status === 202 || response.status === 200;
  } catch {
    return false;
  }
}
