/**
 * Security rules for every page the app shows (Electron's security checklist): the one CSP
 * (host/csp.ts) as a response header, no permission (camera, notifications, ...) ever granted,
 * no navigation away from the studio, no new windows (https links open in the user's browser),
 * no <webview>.
 */
import { session, shell } from 'electron';
import { CONTENT_SECURITY_POLICY } from '../host/csp';
import type { AppModule } from './context';

export const securityRules: AppModule = {
  enable({ app }) {
    const ses = session.defaultSession;
    ses.webRequest.onHeadersReceived((details, callback) => {
      callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
    });
    ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
    ses.setPermissionCheckHandler(() => false);

    app.on('web-contents-created', (_event, contents) => {
      contents.on('will-navigate', (event) => event.preventDefault());
      contents.on('will-redirect', (event) => event.preventDefault());
      contents.on('will-attach-webview', (event) => event.preventDefault());
      contents.setWindowOpenHandler(({ url }) => {
        if (url.startsWith('https://')) void shell.openExternal(url);
        return { action: 'deny' };
      });
    });
  },
};
