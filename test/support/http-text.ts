/** Reading a node:http client response as text, the one way the tests' raw-socket helpers do it. */
import type http from 'node:http';

/** The response's status and its whole body as UTF-8 text, once it has ended. */
export function textAnswer(res: http.IncomingMessage): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (d: string) => (text += d));
    res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    res.on('error', reject);
  });
}
