/** Session-wide rules: the app needs no permission (camera, microphone, notifications, ...), so none is granted. */
import type { Session } from 'electron';

export function hardenSession(session: Session): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}
