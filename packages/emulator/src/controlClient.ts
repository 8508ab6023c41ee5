import { CONTROL_KEY_HEADER } from './control.js';
import type { EmulatorDescriptor } from './descriptor.js';

/** The control routes (`/_emulator/*`) of one emulator run, with its key on every request. */
export interface EmulatorControl {
  /** Any request to `${controlUrl}${path}`; the key header is added to the given headers. */
  request(path: string, init?: RequestInit): Promise<Response>;
  get(path: string): Promise<Response>;
  /** POST with a JSON body ({} when none is given). */
  post(path: string, body?: unknown): Promise<Response>;
}

export function emulatorControl(descriptor: Pick<EmulatorDescriptor, 'controlUrl' | 'controlKey'>): EmulatorControl {
  const request = (path: string, init: RequestInit = {}): Promise<Response> => {
    const headers = new Headers(init.headers);
    headers.set(CONTROL_KEY_HEADER, descriptor.controlKey);
    return fetch(`${descriptor.controlUrl}${path}`, { ...init, headers });
  };
  return {
    request,
    get: (path) => request(path),
    post: (path, body = {}) => request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  };
}
