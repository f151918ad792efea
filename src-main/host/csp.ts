/**
 * The one Content-Security-Policy of the studio page, sent by serve mode (HTTP header) and by
 * the Electron session (response header of the window's page). 'wasm-unsafe-eval' lets tfjs
 * compile its wasm kernels; 'self' in connect-src covers the WebSocket back to the serving
 * origin (CSP Level 3 matches ws:/wss: of the page's own host and port).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
